"""The gate's :class:`Verdict`: every group judged by every check (:func:`judge`), all failures
collected before the state (FAIL, NO BASELINE, PASS WITHOUT BASELINE, PASS) is decided."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..results import shown_path
from ..spec import Spec
from ..stats import METRICS
from .checks import Check, checks_for
from .group import Group


@dataclass
class Verdict:
    """The outcome of the gate: the groups and, for each, its failure messages.

    Attributes:
        groups: the groups judged.
        failures: ``failures[i]`` lists every failure of ``groups[i]`` (empty: it passed).
        not_comparable: runs that formed no group (another version of their spec).
        skipped: specs not gated, and why (no ci section, nothing to train).
        allow_missing_baseline: a gated metric without a comparable baseline does not fail the
            gate (``--allow-missing-baseline``, to bootstrap a new spec); the verdict still
            says so first.
        judged_against: what the runs were compared with (the stored baseline, and each
            ``--reference`` of the drift guard), one line each.
    """

    groups: list[Group]
    failures: list[list[str]]
    not_comparable: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    allow_missing_baseline: bool = False
    judged_against: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(self.failures)

    @property
    def failure_count(self) -> int:
        return sum(len(f) for f in self.failures)

    def messages(self) -> list[str]:
        return [f"{g.spec.name}: {m}" for g, fs in zip(self.groups, self.failures, strict=True)
                for m in fs]

    def missing(self) -> list[str]:
        """Each spec with a gated metric that had no comparable baseline, with why and the
        remedy; and runs that could not be judged at all (another version of their spec)."""
        found = []
        for group in self.groups:
            metrics = group.missing_baseline()
            if metrics:
                why = group.missing_why()
                labels = ", ".join(METRICS[m][0] for m in metrics)
                found.append(f"{group.spec.name} ({labels}): {why}; remedy: harness calibrate "
                             f"{shown_path(group.spec.path)}")
        if not self.groups:
            found += [f"{n.split(':')[0]}: nothing judged ({n.split(': ', 1)[1]})"
                      for n in self.not_comparable]
        return found

    @property
    def state(self) -> str:
        """FAIL, NO BASELINE, PASS WITHOUT BASELINE (allowed) or PASS."""
        if self.failed:
            return "FAIL"
        if self.missing():
            return "PASS WITHOUT BASELINE" if self.allow_missing_baseline else "NO BASELINE"
        return "PASS"

    def headline(self) -> str:
        """The verdict's first line: the state, the failures' count, and the specs that had no
        baseline with why (never left for a later line)."""
        line = f"# Accuracy gate: {self.state}"
        count = self.failure_count
        if count:
            line += f" ({count} failure{'s' * (count != 1)})"
        missing = self.missing()
        if missing:
            if self.state == "FAIL":
                line += "; NO BASELINE"
            elif self.allow_missing_baseline:
                line += " (--allow-missing-baseline)"
            line += " for " + "; ".join(missing)
        return line


def judge(groups: Sequence[Group], not_comparable: Sequence[str] = (),
          checks: Callable[[Spec], list[Check]] = checks_for) -> Verdict:
    """Run every check of every group and collect every failure before deciding."""
    failures = [[m for check in checks(g.spec) if (m := check(g))] for g in groups]
    return Verdict(list(groups), failures, list(not_comparable))

