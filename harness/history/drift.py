"""The drift guard: ``harness gate --reference REF`` also judges the runs against the runs stored
for a named reference (a release tag, a branch, any commit in the results store).

The stored baseline moves with each pull request that re-baselines, so a metric that slides a
little each time is never significantly worse than the previous baseline. A fixed reference (the
last release) catches the slide: each gated accuracy metric is compared with the reference's
comparable runs by the gate's own test (:func:`harness.gate.compare`: one-sided Welch at the
spec's ``ci.alpha`` split over its gated metrics), and a significant drop fails the gate as a
regression against the baseline does. A reference with no comparable runs in the store fails
too, with the remedy: a guard that did not apply never passes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..gitinfo import git

if TYPE_CHECKING:  # pragma: no cover
    from ..gate import Verdict
    from .store import Store

LAST_TAG = "last-tag"  # --reference last-tag: the newest tag reachable from HEAD


@dataclass(frozen=True)
class Reference:
    """A named reference: ``name`` as given, ``commit`` the full (or, for a commit known only
    to the store, abbreviated) hash its runs are stored under."""

    name: str
    commit: str

    @property
    def label(self) -> str:
        short = self.commit[:12]
        return self.name if self.name.startswith(short) else f"{self.name} ({short})"


def resolve(name: str) -> Reference:
    """The commit of a tag, branch or commit of the repository here; ``last-tag`` is the newest
    tag reachable from HEAD; a hex prefix not in the repository is taken as a commit of the
    store.

    Raises:
        UsageError: ``last-tag`` without tags, or a name that is none of these.
    """
    given = name
    if name == LAST_TAG:
        tag = git("describe", "--tags", "--abbrev=0")
        if not tag:
            raise UsageError("--reference last-tag: the repository here has no tag reachable "
                             "from HEAD; name a tag, branch or commit")
        name = tag
    commit = git("rev-parse", "--verify", "--quiet", f"{name}^{{commit}}")
    if commit:
        return Reference(given if given != LAST_TAG else f"{name} (last tag)", commit)
    if len(name) >= 7 and all(c in "0123456789abcdef" for c in name.lower()):
        return Reference(name, name.lower())
    raise UsageError(f"--reference {name}: not a tag, branch or commit of the repository here "
                     "(nor a commit hash of 7+ hex digits)")


def guard(verdict: Verdict, references: list[Reference], store: Store) -> None:
    """Judge each group of ``verdict`` against each reference's stored runs: lines go to
    ``group.references`` and ``verdict.judged_against``, failures to ``verdict.failures``."""
    from ..comparable import identity
    from ..gate import METRICS, compare
    from ..result_types import as_run

    for ref in references:
        used = 0
        for group, failures in zip(verdict.groups, verdict.failures, strict=True):
            here = identity(group.runs[0])
            judged = {r.run_id for r in group.runs}  # never a run against itself
            rows = [r for r in store.runs(group.spec.name, kind="run")
                    if (r.git_commit or "").startswith(ref.commit) and r.run_id not in judged]
            docs = [d for r in rows if (d := store.document(r.run_id)) is not None
                    and d.get("status") == "complete" and identity(d) == here]
            if not docs:
                why = (f"{len(rows)} run(s) at that commit, none with this spec hash, schedule "
                       "and data" if rows else "no runs at that commit other than those judged")
                line = (f"{ref.label}: no comparable runs in the results history at "
                        f"{store.where} ({why}); remedy: `harness history import` the "
                        "reference's run files, or run the CI schedule at that commit")
                group.references.append(line)
                failures.append(f"drift guard: {line}")
                continue
            used += len(docs)
            shadow = dataclasses.replace(group, baseline=[as_run(d) for d in docs],
                                         references=[])
            for metric in group.gated:
                if METRICS[metric][1] < 0:
                    continue  # timings depend on the machine: not judged against a reference
                c = compare(shadow, metric)
                if c.current is None or c.baseline is None:
                    continue
                p = "-" if c.p is None else f"{c.p:.2g}"
                line = (f"{ref.label}: {METRICS[metric][0]} {c.current.mean:.4f} vs "
                        f"{c.baseline.mean:.4f} of {c.baseline.n} runs (change "
                        f"{c.change:+.4f}, one-sided p = {p}, alpha {c.alpha:.3g}): {c.verdict}")
                group.references.append(line)
                if c.verdict == "regression":
                    failures.append(f"drift: {line}")
        verdict.judged_against.append(
            f"reference {ref.label}: {used} stored run(s) from the results history at "
            f"{store.where} (drift guard)")
