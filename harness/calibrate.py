"""``harness calibrate``: the CI schedule that lets the gate see the smallest regression within a
time budget on this machine, its baseline runs, and a report of what that gate can detect.

For one spec:

1. **Pilot.** A few seeds (``--pilot-seeds``, 4) of each candidate CI schedule: the spec's current
   ci epochs and one epoch fewer and more (within the spec's own epochs), with its ci sample
   counts. Baseline runs already stored for a candidate count toward its spread. The pilot's wall
   time per seed, with the ``--jobs`` the gate will use, says how many seeds fit in ``--budget``.
2. **Choice.** For every candidate and gated accuracy metric (best/final val_acc, test acc): the
   drop detectable with 80% power (:func:`harness.power.detectable_effect`) by the seeds that fit
   in the budget against the baseline to be recorded; the smallest wins.
3. **Baseline.** Seeds of the chosen schedule are recorded until the baseline holds
   ``--baseline-seeds`` runs (the pilot's runs of that schedule count).
4. **Check.** The gate's own test is simulated on the stored runs (:func:`harness.power.simulate`):
   A/A false-alarm rate and power against injected drops, by resampling and on normal draws.
5. **Write.** The spec's ``ci:`` block gets the schedule, seeds, band (baseline mean +/- 3 std,
   rounded outward to 0.01) and ``min_effect`` (the detectable drop, rounded up to 0.005); the
   report goes to ``<baseline>/<spec name>/calibration.md``.

``--extend`` skips 1, 2 and 5: it adds seeds of the current ci schedule run on this machine to the
baseline (what the gate asks for when a machine kind shifts the metric) and reports again.
"""

from __future__ import annotations

import math
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .comparable import device_of, identity
from .errors import SpecError, UsageError
from .parallel import Engine
from .power import Simulation, detectable_effect, pooled_std, simulate
from .result_types import RunLike, RunResult, as_run
from .spec import Spec
from .stats import METRICS, run_figures
from .verbosity import say

ACCURACY = ("best_val_acc", "final_val_acc", "test_acc")
PILOT_SEEDS = 4
PILOT_START = 1000  # pilot seeds stay clear of the baseline's 0, 1, 2, ...


def parse_duration(text: str) -> float:
    """``90s``, ``10m``, ``1.5h`` or a number of seconds, as seconds.

    Raises:
        UsageError: anything else, or a duration of zero.
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not match or float(match.group(1)) <= 0:
        raise UsageError(f"--budget: expected a duration such as 90s, 10m or 1h, got {text!r}")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


@dataclass
class Candidate:
    """A CI schedule under trial: its epochs, its runs (pilot and stored) and its cost."""

    epochs: int
    runs: list[RunResult] = field(default_factory=list)
    seconds_per_seed: float | None = None

    def __post_init__(self) -> None:
        self.runs = [as_run(r) for r in self.runs]

    def std(self, metric: str) -> float | None:
        values = [v for r in self.runs if (v := run_figures(r)[metric]) is not None]
        return pooled_std(values)


@dataclass(frozen=True)
class Choice:
    """The chosen CI schedule and what it can see."""

    epochs: int
    metric: str
    seeds: int
    baseline_seeds: int
    std: float
    detectable: float
    seconds_per_seed: float


@dataclass
class Calibration:
    """What calibrate found for one spec (see the module docstring)."""

    spec: Spec
    candidates: list[Candidate]
    choice: Choice
    baseline: list[RunResult]
    simulations: list[Simulation]
    alpha: float
    budget_s: float
    engine: str  # where the runs trained, as the option that chose it (``--jobs 2``)
    pairing: list[str] = field(default_factory=list)
    extended: bool = False  # --extend: the ci section's schedule and seeds, not a choice

    def __post_init__(self) -> None:
        self.baseline = [as_run(r) for r in self.baseline]


def _options(spec: Spec, base: Any, epochs: int) -> Any:
    from dataclasses import replace

    from .pipeline import RunOptions

    ci = spec.ci
    return replace(RunOptions(data=base.data, out=base.out, mode=base.mode,
                              deterministic=base.deterministic),
                   epochs=epochs, train_samples=ci.train_samples if ci else None,
                   test_samples=ci.test_samples if ci else None,
                   batch_size=ci.batch_size if ci else None, schedule="ci")


def _stored(folder: Path, spec: Spec) -> list[RunResult]:
    """The complete runs stored for this version of the spec (its spec hash); runs of another
    version are not evidence about this one."""
    from .gate import baseline_runs

    return [r for r in baseline_runs(folder, spec) if r.status == "complete"
            and r.spec.hash == spec.content_hash()]


def _same_data(runs: list[RunResult], made: list[RunResult]) -> list[RunResult]:
    """The stored runs of the data the new runs were made with (its checksum)."""
    if not made:
        return runs
    checksum = identity(made[0])["data checksum"]
    return [r for r in runs if identity(r)["data checksum"] == checksum]


def check_calibratable(spec: Spec, baseline_dir: Path, extend: int | None) -> None:
    """Fail before any training when calibrate cannot work on this spec.

    Raises:
        UsageError: no train section, no accuracy metric, ``--extend`` without a ci section,
            or ``--extend 0`` without stored runs to report on.
    """
    if not spec.trains:
        raise UsageError(f"{spec.path}: has no train section; nothing to calibrate")
    _gated_metrics(spec)
    if extend is not None and spec.ci is None:
        raise UsageError(f"{spec.path}: --extend adds runs of the ci schedule; this spec has "
                         "no ci section (calibrate it without --extend first)")
    if extend == 0 and not _stored(baseline_dir, spec):
        raise UsageError(f"{spec.path}: --extend 0 reports on the stored runs, and "
                         f"{baseline_dir / spec.name / 'runs'} holds none of this spec version; "
                         "record some with --extend N")


def _train(spec: Spec, options: Any, seeds: Sequence[int], engine: Engine,
           stream: TextIO) -> tuple[list[RunResult], float]:
    """Run the seeds; returns their results and the wall time per seed (s)."""
    from .parallel import Task, run_tasks

    if not seeds:
        return [], math.nan
    start = time.perf_counter()
    runs = run_tasks([Task(spec, options, s) for s in seeds], engine, stream)
    return runs, (time.perf_counter() - start) / len(seeds)


def _next_seed(runs: Sequence[RunResult], floor: int = 0) -> int:
    seeds = [r.execution.seed for r in runs]
    return max([floor - 1, *(s for s in seeds if s is not None)]) + 1


def _gated_metrics(spec: Spec) -> list[str]:
    train = spec.train
    if train is None or "acc" not in train.recorded_metrics():
        raise UsageError(f"{spec.path}: calibrate chooses among accuracy figures; this spec "
                         "records no acc (train.metrics)")
    return [m for m in ACCURACY if train.validation_split or not m.endswith("val_acc")]


def calibrate_spec(spec: Spec, options: Any, budget_s: float, baseline_dir: Path, *,
                   engine: Engine | None = None, baseline_seeds: int = 16,
                   extend: int | None = None,
                   pilot_seeds: int = PILOT_SEEDS, stream: TextIO) -> Calibration:
    """Calibrate one spec (see the module docstring); the runs go to ``baseline_dir``.

    Args:
        options: a :class:`harness.pipeline.RunOptions` (data, mode; ``out`` is ignored).
        budget_s: the gate's time for this spec per CI run, in seconds.
        extend: add this many seeds of the current ci schedule instead of choosing one.
        engine: where the runs train (:class:`harness.parallel.Engine`; None: one local
            process per core).

    Raises:
        UsageError: a spec without a train section or accuracy metric; ``extend`` on a spec
            without a ci section.
        HarnessError: as :func:`harness.pipeline.run_spec`.
    """
    from dataclasses import replace

    check_calibratable(spec, baseline_dir, extend)
    engine = engine or Engine()
    metrics = _gated_metrics(spec)
    alpha = spec.ci.alpha if spec.ci is not None else 0.05
    options = replace(options, out=str(baseline_dir))
    stored = _stored(baseline_dir, spec)
    if extend is not None:
        run_options = _options(spec, options, spec.ci.epochs)
        mine = [r for r in stored if r.schedule.to_json_dict() == run_options.schedule_of(spec)]
        say(f"== {spec.name}: {extend} more seeds of the ci schedule on this machine", stream)
        runs, per_seed = _train(spec, run_options, range(_next_seed(stored), _next_seed(stored)
                                                         + extend), engine, stream)
        candidate = Candidate(spec.ci.epochs, _same_data(mine, runs) + runs, per_seed)
        metric = next((m for m in metrics if spec.ci.min_effect.model_dump().get(m)), metrics[0])
        seeds = spec.ci.seeds
        choice = _choice(candidate, metric, seeds, len(candidate.runs), alpha)
        found = _finish(spec, [candidate], choice, candidate.runs, alpha, budget_s, engine)
        found.extended = True
        return found

    epochs_now = spec.ci.epochs if spec.ci is not None else min(2, spec.train.epochs)
    trial = sorted({e for e in (epochs_now - 1, epochs_now, epochs_now + 1)
                    if 1 <= e <= spec.train.epochs})
    candidates = []
    next_pilot = _next_seed(stored, PILOT_START)
    for epochs in trial:
        run_options = _options(spec, options, epochs)
        schedule = run_options.schedule_of(spec)
        mine = [r for r in stored if r.schedule.to_json_dict() == schedule]
        seeds = range(next_pilot, next_pilot + pilot_seeds)
        next_pilot += pilot_seeds
        say(f"== {spec.name}: pilot of {epochs} epoch(s), seed {seeds.start}-{seeds.stop - 1}"
            f" ({len(mine)} stored run(s) of this schedule)", stream)
        runs, per_seed = _train(spec, run_options, seeds, engine, stream)
        candidates.append(Candidate(epochs, _same_data(mine, runs) + runs, per_seed))
    choice = min((_choice(c, m, _seeds_in(budget_s, c), baseline_seeds, alpha)
                  for c in candidates for m in metrics), key=lambda c: c.detectable)
    chosen = next(c for c in candidates if c.epochs == choice.epochs)
    missing = baseline_seeds - len(chosen.runs)
    if missing > 0:
        run_options = _options(spec, options, choice.epochs)
        start = _next_seed([r for r in chosen.runs
                            if r.execution.given("seed", 0) < PILOT_START])
        say(f"== {spec.name}: {missing} baseline seeds of the chosen schedule", stream)
        runs, _ = _train(spec, run_options, range(start, start + missing), engine, stream)
        chosen.runs += runs
    # what the gate will see: the spread of every run of the chosen schedule, the baseline's size
    choice = _choice(chosen, choice.metric, choice.seeds, len(chosen.runs), alpha)
    _drop_other_pilots(baseline_dir, spec, chosen, candidates)
    return _finish(spec, candidates, choice, chosen.runs, alpha, budget_s, engine)


def _seeds_in(budget_s: float, candidate: Candidate) -> int:
    per_seed = candidate.seconds_per_seed or math.inf
    return max(2, int(budget_s // per_seed))


def _choice(candidate: Candidate, metric: str, seeds: int, baseline_seeds: int,
            alpha: float) -> Choice:
    std = candidate.std(metric)
    effect = detectable_effect(std, seeds, baseline_seeds, alpha) if std else None
    return Choice(candidate.epochs, metric, seeds, baseline_seeds, std or math.nan,
                  effect if effect is not None else math.inf,
                  candidate.seconds_per_seed or math.nan)


def _drop_other_pilots(folder: Path, spec: Spec, chosen: Candidate,
                       candidates: Sequence[Candidate]) -> None:
    """The baseline keeps only runs of the chosen schedule: the other pilots' run files move to
    ``<folder>/<spec>/pilot/`` (kept for the report, never compared)."""
    keep = {r.run_id for r in chosen.runs}
    runs_dir, pilot_dir = folder / spec.name / "runs", folder / spec.name / "pilot"
    for candidate in candidates:
        for run in candidate.runs:
            if run.run_id in keep:
                continue
            for path in runs_dir.glob(f"*{run.run_id}*.json"):
                pilot_dir.mkdir(parents=True, exist_ok=True)
                shutil.move(str(path), pilot_dir / path.name)


def _finish(spec: Spec, candidates: list[Candidate], choice: Choice,
            baseline: list[RunResult], alpha: float, budget_s: float,
            engine: Engine) -> Calibration:
    higher = METRICS[choice.metric][1] > 0
    values = [v for r in baseline if (v := run_figures(r)[choice.metric]) is not None]
    effect = choice.detectable if math.isfinite(choice.detectable) else 0.02
    shifts = [round(effect * k, 4) for k in (0.5, 1.0, 1.5)]
    sims = []
    if len(values) >= choice.seeds + 2:
        sims.append(simulate(choice.metric, values, choice.seeds, alpha, shifts,
                             higher_is_better=higher))
    if len(values) >= 2:
        sims.append(simulate(choice.metric, values, choice.seeds, alpha, shifts,
                             higher_is_better=higher, method="normal",
                             n_baseline=len(values)))
    return Calibration(spec, candidates, choice, baseline, sims, alpha, budget_s,
                       engine.describe(),
                       pairing_lines(baseline, choice.metric, choice.seeds, alpha))


def pairing_lines(runs: Sequence[RunLike], metric: str, seeds: int,
                  alpha: float) -> list[str]:
    """Whether paired seeds (the same seed run again, the test on the differences) would narrow
    the comparison: measured on the seeds stored from two machine kinds. Runs repeat exactly on
    one machine, so there the unchanged code's differences are zero and any change's are not."""
    import numpy as np

    from .power import paired_detectable_effect

    by_kind: dict[str, dict[int, float]] = {}
    for run in map(as_run, runs):
        value = run_figures(run)[metric]
        seed = run.execution.seed
        if value is not None and seed is not None:
            by_kind.setdefault(device_of(run.environment), {})[seed] = value
    kinds = sorted(by_kind)
    lines = []
    for i, a in enumerate(kinds):
        for b in kinds[i + 1:]:
            common = sorted(set(by_kind[a]) & set(by_kind[b]))
            if len(common) < 3:
                continue
            x = np.array([by_kind[a][s] for s in common])
            y = np.array([by_kind[b][s] for s in common])
            rho = float(np.corrcoef(x, y)[0, 1]) if x.std() and y.std() else math.nan
            everyone = [v for kind in kinds for v in by_kind[kind].values()]
            std = pooled_std(everyone) or math.nan
            # the spread of same-seed differences from the correlation and every run's spread
            # (8 differences alone say little about it): std * sqrt(2 (1 - rho))
            spread = std * math.sqrt(2 * (1 - rho)) if math.isfinite(rho) else float(
                np.std(x - y, ddof=1))
            paired = paired_detectable_effect(spread, seeds, alpha)
            unpaired = detectable_effect(std, seeds, len(runs), alpha)
            verdict = ("pairing would narrow it (the gate does not pair seeds yet)"
                       if paired is not None and unpaired is not None and paired < unpaired
                       else "pairing does not help: the gate's unpaired test is the better one")
            lines.append(f"{len(common)} seeds run on {a} and on {b}: correlation {rho:+.2f} "
                         f"between the same seed's {METRICS[metric][0]}; paired difference std "
                         f"{float(np.std(x - y, ddof=1)):.4f} measured, {spread:.4f} from the "
                         f"correlation and one run's {std:.4f} (all {len(everyone)} runs); "
                         f"detectable with {seeds} paired seeds {paired:.4f} vs unpaired against "
                         f"{len(runs)} runs {unpaired:.4f}: {verdict}")
    return lines


def ci_block(calibration: Calibration) -> dict[str, Any]:
    """The ``ci:`` mapping calibrate writes: schedule, seeds, band and min_effect."""
    spec, choice = calibration.spec, calibration.choice
    band_metric = (spec.ci.band.metric if spec.ci is not None
                   and spec.ci.band.metric in ACCURACY else choice.metric)
    values = [v for r in calibration.baseline if (v := run_figures(r)[band_metric]) is not None]
    mean = sum(values) / len(values)
    std = pooled_std(values) or 0.0
    block: dict[str, Any] = {"epochs": choice.epochs}
    if spec.ci is not None:
        for key in ("train_samples", "test_samples", "batch_size"):
            if getattr(spec.ci, key) is not None:
                block[key] = getattr(spec.ci, key)
    block["seeds"] = choice.seeds
    block["band"] = {"metric": band_metric,
                     "low": max(0.0, math.floor((mean - 3 * std) * 100) / 100),
                     "high": min(1.0, math.ceil((mean + 3 * std) * 100) / 100)}
    block["min_effect"] = {choice.metric: math.ceil(choice.detectable * 200) / 200}
    if spec.ci is not None and spec.ci.alpha != 0.05:
        block["alpha"] = spec.ci.alpha
    return block


def write_ci_section(spec_path: Path, block: dict[str, Any], comment: str) -> None:
    """Replace the spec file's top-level ``ci:`` block (and the comment lines right above it)
    with ``block``, or add one; the file is checked by loading it before it is written.

    Raises:
        SpecError: the new file would not load (nothing is written).
    """
    import yaml

    from .results import write_text_atomic
    from .spec import load_spec

    text = spec_path.read_text()
    body = yaml.safe_dump({"ci": block}, sort_keys=False, default_flow_style=None, width=100)
    new = "".join(f"# {line}\n".replace("# \n", "#\n") for line in comment.splitlines()) + body
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"ci:\s*(#.*)?$", line)), None)
    if start is None:
        updated = text.rstrip("\n") + "\n\n" + new
    else:
        end = start + 1
        while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
            end += 1
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        top = start
        while top > 0 and lines[top - 1].startswith("#"):
            top -= 1
        updated = "".join(lines[:top]) + new + "".join(lines[end:])
    check = spec_path.with_name(f".{spec_path.name}.calibrate")
    check.write_text(updated)
    try:
        load_spec(check)
    except SpecError as exc:
        raise SpecError(str(spec_path), [f"{p} (calibrate's new ci section; the file was left "
                                         "as it was)" for p in exc.problems]) from None
    finally:
        check.unlink()
    write_text_atomic(spec_path, updated)


def render(calibration: Calibration) -> str:
    """The calibration report (Markdown): the answer first, then the pilot and the checks."""
    from tabulate import tabulate

    c, spec = calibration.choice, calibration.spec
    label = METRICS[c.metric][0]
    machine = device_of(calibration.baseline[-1].environment) if calibration.baseline else "?"
    cost = "" if not math.isfinite(c.seconds_per_seed) else (
        f" (about {c.seeds * c.seconds_per_seed / 60:.1f} min on {machine}, "
        f"{calibration.engine})")
    lines = [f"# Calibration of {spec.name}", "",
             f"**The gate sees a drop of {c.detectable:.4f} in {label} with 80% power**: "
             f"{c.epochs} epoch(s), {c.seeds} seeds per CI run{cost} against "
             f"{len(calibration.baseline)} baseline runs; std {c.std:.4f} per seed; one-sided "
             f"alpha {calibration.alpha}.", ""]
    for sim in calibration.simulations:
        power = ", ".join(f"{shift:.4f}: {rate:.2f}" for shift, rate in sim.power.items())
        lines.append(f"- simulated ({sim.method}, {sim.trials} verdicts of {sim.n_current} vs "
                     f"{sim.n_baseline} runs): A/A false-alarm rate {sim.false_alarm:.3f} "
                     f"(+/- {sim.rate_error(sim.false_alarm):.3f}; alpha {sim.alpha}); power "
                     f"against a drop of {power}")
    lines += [f"- paired seeds: {line}" for line in calibration.pairing]
    budget = ("the ci section's seeds (--extend leaves it as it is)" if calibration.extended
              else f"budget per CI run {calibration.budget_s / 60:.1f} min")
    lines += ["", "It cannot see drops much below the detectable one: at half of it the power "
              f"is the first figure above. Seeds per CI run: {budget}.", "", "## Candidates", ""]
    rows = []
    for cand in calibration.candidates:
        for metric in ACCURACY:
            std = cand.std(metric)
            if std is None:
                continue
            seeds = c.seeds if calibration.extended else _seeds_in(calibration.budget_s, cand)
            choice = _choice(cand, metric, seeds, c.baseline_seeds, calibration.alpha)
            rows.append([cand.epochs, METRICS[metric][0], len(cand.runs), f"{std:.4f}",
                         f"{cand.seconds_per_seed:.1f}" if cand.seconds_per_seed
                         and math.isfinite(cand.seconds_per_seed) else "-",
                         choice.seeds, f"{choice.detectable:.4f}"])
    lines += [tabulate(rows, headers=["epochs", "metric", "runs", "std", "s per seed",
                                      "seeds per CI run", "detectable (80%)"],
                       tablefmt="github", disable_numparse=True), ""]
    seeds = sorted(r.execution.seed for r in calibration.baseline)
    kinds = sorted({device_of(r.environment) for r in calibration.baseline})
    lines += [f"Baseline: {len(calibration.baseline)} runs (seeds {seeds[0]}-{seeds[-1]}) on "
              f"{', '.join(kinds)}; same spec hash "
              f"{str(identity(calibration.baseline[0])['spec hash'])[:12]}.", ""]
    return "\n".join(lines)


__all__ = ["Calibration", "Candidate", "Choice", "calibrate_spec", "ci_block", "pairing_lines",
           "parse_duration", "render", "write_ci_section"]
