"""From results files to groups: :func:`load_run_files` reads the runs to judge,
:func:`make_groups` groups them by spec and identity and gives each group its band and the
baseline runs comparable with it (:mod:`harness.comparable`), read from the stored baseline
(:func:`baseline_runs`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..comparable import (
    changed_sections,
    device_of,
    differences,
    environment_differences,
    identity,
    short,
    timing_identity,
)
from ..errors import UsageError
from ..pipeline.bands import band_for
from ..result_types import RunLike, RunResult, as_run
from ..results import load_run, shown_path
from ..spec import Spec
from ..stats import METRICS, run_figures
from .group import ACCURACY_METRICS, Group, seed_list, seeds_of


def load_run_files(paths: Sequence[str | Path]) -> list[tuple[Path, RunResult]]:
    """Results documents of files and folders (a folder: every ``runs/*.json`` under it).

    Raises:
        UsageError: a path that does not exist, or a folder without run files.
        ResultsError: a file that is not a readable results file.
    """
    found: list[tuple[Path, RunResult]] = []
    seen: set[Path] = set()
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(path.rglob("runs/*.json"))
            if not files:
                raise UsageError(f"{path}: no run files (runs/*.json) in this folder")
        elif path.exists():
            files = [path]
        else:
            raise UsageError(f"{path}: no such results file or folder")
        for f in files:
            if f.resolve() not in seen:  # a file given also through its folder counts once
                seen.add(f.resolve())
                found.append((f, load_run(f)))
    return found


def baseline_runs(folder: Path, spec: Spec) -> list[RunResult]:
    """Every run file stored for the spec under ``folder/<spec name>/runs/``."""
    runs_dir = folder / spec.name / "runs"
    return [load_run(f) for f in sorted(runs_dir.glob("*.json"))] if runs_dir.is_dir() else []


def make_groups(runs: Sequence[RunLike], specs: Sequence[Spec],
                baseline_dir: Path | None) -> tuple[list[Group], list[str]]:
    """Group runs by spec and identity, and give each group its baseline and band.

    Returns:
        ``(groups, not_comparable)``: runs made with another version of a spec (a different spec
        hash) form no group; they are described in ``not_comparable``.

    Raises:
        UsageError: a run of a spec that is not among ``specs``.
    """
    by_name = {s.name: s for s in specs}
    buckets: dict[tuple[str | None, str], list[RunResult]] = {}
    not_comparable: list[str] = []
    for run in map(as_run, runs):
        name = run.spec.name
        spec = by_name.get(name) if name is not None else None
        if spec is None:
            raise UsageError(f"results of spec '{name}' ({run.run_id}): no spec of that "
                             f"name among {', '.join(s.path for s in specs)}; pass its spec file "
                             "too, or only the results of the specs given (a folder such as "
                             "<baseline>/<spec name>)")
        key = (name, repr(sorted(identity(run).items())))
        buckets.setdefault(key, []).append(run)
    groups = []
    for (name, _), members in buckets.items():
        spec = by_name[str(name)]
        where = shown_path(spec.path)  # the verdict names the spec file relative to the project
        if members[0].spec.hash != spec.content_hash():
            changed = changed_sections(members[0], {"spec": {
                "section_hashes": spec.section_hashes()}})
            not_comparable.append(
                f"{name}: {len(members)} run(s) made with another version of {where} "
                f"({', '.join(changed) or 'spec hash'} changed): not comparable, not gated")
            continue
        group = Group(spec=spec, runs=sorted(members, key=lambda r: seeds_of([r])[0] or 0))
        schedule = members[0].schedule
        group.band = band_for(spec, schedule.to_json_dict())
        group.band_source = (f"{where}: ci.band" if schedule.name == "ci"
                             else f"{where}: band")
        if group.band is None and schedule.name == "ci":
            shown = short(identity(members[0])["schedule"])
            group.notes.append(f"no band applies: {where} no longer declares this CI "
                               f"schedule ({shown})")
        attach_baseline(group, baseline_dir)
        incomplete = [r for r in members if r.status not in ("complete", "nan_loss")]
        if incomplete:
            group.notes.append(f"left out: {len(incomplete)} run(s) that did not finish (seed "
                               f"{seed_list(incomplete)}, status "
                               f"{', '.join(sorted({str(r.status) for r in incomplete}))})")
        groups.append(group)
    return groups, not_comparable


def attach_baseline(group: Group, baseline_dir: Path | None) -> None:
    if baseline_dir is None:
        group.baseline_note = "no baseline given"
        return
    stored = [r for r in baseline_runs(baseline_dir, group.spec) if r.status == "complete"]
    where = shown_path(baseline_dir / group.spec.name / "runs")
    if not stored:
        group.baseline_note = f"no baseline: no complete runs in {where}"
        return
    # A run is not evidence against itself: runs under test that are baseline runs are left
    # out of the baseline (``gate --results <baseline>/...`` would otherwise always pass).
    tested = {r.run_id for r in group.runs}
    own = [r for r in stored if r.run_id in tested]
    if own:
        stored = [r for r in stored if r.run_id not in tested]
        group.notes.append(f"{len(own)} of the runs under test are baseline runs from {where}; "
                           "they are left out of the baseline")
        if not stored:
            group.baseline_note = (f"no baseline: the runs under test are the only complete "
                                   f"runs in {where}")
            return
    mine = identity(group.runs[0])
    comparable = [r for r in stored if identity(r) == mine]
    if not comparable:
        why = differences(group.runs[0], stored[-1])
        group.baseline_note = (f"not comparable: the {len(stored)} baseline run(s) in {where} "
                               f"differ in {'; '.join(why)}")
        group.timing_note = group.baseline_note
        return
    comparable.sort(key=lambda r: seeds_of([r])[0] or 0)  # parallel runs finish in any order
    group.baseline = baseline_for_this_machine(group, comparable)
    group.environment = environment_differences(group.runs, group.baseline)
    here = timing_identity(group.runs[0])
    group.timing_baseline = [r for r in comparable if timing_identity(r) == here]
    if not group.timing_baseline:
        why = differences(group.runs[0], comparable[-1], timing=True)
        group.timing_note = (f"timings not comparable: the {len(comparable)} baseline run(s) "
                             f"differ in {'; '.join(why)}")


def baseline_for_this_machine(group: Group, runs: list[RunResult]) -> list[RunResult]:
    """The baseline runs to judge accuracy against: all of them, unless they show that the
    machine kind (CPU model or GPU) shifts a gated metric (one-way ANOVA between kinds at the
    metric's level), which is a finding the verdict reports. Then the runs of this machine's
    kind are used when there are 3 or more of them; else all, with the remedy named."""
    from scipy import stats

    kinds: dict[str, list[RunResult]] = {}
    for run in runs:
        kinds.setdefault(device_of(run.environment), []).append(run)
    if len(kinds) < 2:
        return runs
    here = device_of(group.runs[0].environment)
    for metric in (m for m in group.gated if m in ACCURACY_METRICS):
        samples = {kind: [v for r in members if (v := run_figures(r)[metric]) is not None]
                   for kind, members in kinds.items()}
        samples = {k: v for k, v in samples.items() if len(v) >= 2}
        if len(samples) < 2 or all(len(set(v)) == 1 for v in samples.values()):
            continue
        p = float(stats.f_oneway(*samples.values()).pvalue)
        if not p < group.metric_alpha:
            continue
        means = "; ".join(f"{kind} {sum(v) / len(v):.4f} ({len(v)} runs)"
                          for kind, v in samples.items())
        finding = (f"finding: the machine kind shifts {METRICS[metric][0]} in the baseline "
                   f"({means}; one-way ANOVA p = {p:.2g} < {group.metric_alpha:.3g})")
        own = kinds.get(here, [])
        if len(own) >= 3:
            group.notes.append(f"{finding}; judged against the {len(own)} baseline runs of "
                               f"{here} only")
            return own
        group.notes.append(f"{finding}; {len(own)} baseline run(s) of {here}, too few to judge "
                           f"against alone, so all are used: record more here with "
                           f"harness calibrate {shown_path(group.spec.path)} --extend 8")
        return runs
    return runs

