"""Calibrating one spec (:func:`calibrate_spec`): the pilot of each candidate schedule, the
choice, the baseline runs of the chosen one, and the simulated checks of the gate on them."""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from ..comparable import identity
from ..errors import UsageError
from ..gate import baseline_runs
from ..parallel import Engine, Task, run_tasks
from ..pipeline.options import RunOptions
from ..power import simulate
from ..result_types import RunResult
from ..spec import CiSpec, Spec, TrainSpec
from ..stats import METRICS, run_figures
from ..verbosity import say
from .pairing import pairing_lines
from .schedule import (
    ACCURACY,
    PILOT_SEEDS,
    PILOT_START,
    Calibration,
    Candidate,
    Choice,
    choice_for,
    seeds_in,
)


def options_for(spec: Spec, base: RunOptions, epochs: int) -> RunOptions:
    """The run options of a CI schedule of ``epochs`` epochs (the ci section's sample counts and
    batch size), with ``base``'s data, out, mode and determinism."""
    ci = spec.ci
    return replace(RunOptions(data=base.data, out=base.out, mode=base.mode,
                              deterministic=base.deterministic),
                   epochs=epochs, train_samples=ci.train_samples if ci else None,
                   test_samples=ci.test_samples if ci else None,
                   batch_size=ci.batch_size if ci else None, schedule="ci")


def stored_runs(folder: Path, spec: Spec) -> list[RunResult]:
    """The complete runs stored for this version of the spec (its spec hash); runs of another
    version are not evidence about this one."""
    return [r for r in baseline_runs(folder, spec) if r.status == "complete"
            and r.spec.hash == spec.content_hash()]


def _same_data(runs: list[RunResult], made: list[RunResult]) -> list[RunResult]:
    """The stored runs of the data the new runs were made with (its checksum)."""
    if not made:
        return runs
    checksum = identity(made[0])["data checksum"]
    return [r for r in runs if identity(r)["data checksum"] == checksum]


def _train_section(spec: Spec) -> TrainSpec:
    if spec.train is None:
        raise UsageError(f"{spec.path}: has no train section; nothing to calibrate")
    return spec.train


def _ci_section(spec: Spec) -> CiSpec:
    if spec.ci is None:
        raise UsageError(f"{spec.path}: --extend adds runs of the ci schedule; this spec has "
                         "no ci section (calibrate it without --extend first)")
    return spec.ci


def check_calibratable(spec: Spec, baseline_dir: Path, extend: int | None) -> None:
    """Fail before any training when calibrate cannot work on this spec.

    Raises:
        UsageError: no train section, no accuracy metric, ``--extend`` without a ci section,
            or ``--extend 0`` without stored runs to report on.
    """
    _train_section(spec)
    gated_metrics(spec)
    if extend is not None:
        _ci_section(spec)
    if extend == 0 and not stored_runs(baseline_dir, spec):
        raise UsageError(f"{spec.path}: --extend 0 reports on the stored runs, and "
                         f"{baseline_dir / spec.name / 'runs'} holds none of this spec version; "
                         "record some with --extend N")


def _train(spec: Spec, options: RunOptions, seeds: Sequence[int], engine: Engine,
           stream: TextIO) -> tuple[list[RunResult], float]:
    """Run the seeds; returns their results and the wall time per seed (s)."""
    if not seeds:
        return [], math.nan
    start = time.perf_counter()
    runs = run_tasks([Task(spec, options, s) for s in seeds], engine, stream)
    return runs, (time.perf_counter() - start) / len(seeds)


def _next_seed(runs: Sequence[RunResult], floor: int = 0) -> int:
    seeds = [r.execution.seed for r in runs]
    return max([floor - 1, *(s for s in seeds if s is not None)]) + 1


def gated_metrics(spec: Spec) -> list[str]:
    """The accuracy figures calibrate chooses among (no val_acc without validation).

    Raises:
        UsageError: the spec records no accuracy.
    """
    train = spec.train
    if train is None or "acc" not in train.recorded_metrics():
        raise UsageError(f"{spec.path}: calibrate chooses among accuracy figures; this spec "
                         "records no acc (train.metrics)")
    return [m for m in ACCURACY if train.validation_split or not m.endswith("val_acc")]


def calibrate_spec(spec: Spec, options: RunOptions, budget_s: float, baseline_dir: Path, *,
                   engine: Engine | None = None, baseline_seeds: int = 16,
                   extend: int | None = None,
                   pilot_seeds: int = PILOT_SEEDS, stream: TextIO) -> Calibration:
    """Calibrate one spec (see :mod:`harness.calibrate`); the runs go to ``baseline_dir``.

    Args:
        options: the run options (data, mode; ``out`` is ignored).
        budget_s: the gate's time for this spec per CI run, in seconds.
        extend: add this many seeds of the current ci schedule instead of choosing one.
        engine: where the runs train (:class:`harness.parallel.Engine`; None: one local
            process per core).

    Raises:
        UsageError: a spec without a train section or accuracy metric; ``extend`` on a spec
            without a ci section.
        HarnessError: as :func:`harness.pipeline.run_spec`.
    """
    check_calibratable(spec, baseline_dir, extend)
    engine = engine or Engine()
    alpha = spec.ci.alpha if spec.ci is not None else 0.05
    options = replace(options, out=str(baseline_dir))
    if extend is not None:
        return _extend(spec, options, extend, alpha, budget_s, baseline_dir, engine, stream)
    candidates = _pilot(spec, options, pilot_seeds, baseline_dir, engine, stream)
    choice = min((choice_for(c, m, seeds_in(budget_s, c), baseline_seeds, alpha)
                  for c in candidates for m in gated_metrics(spec)),
                 key=lambda c: c.detectable)
    chosen = next(c for c in candidates if c.epochs == choice.epochs)
    missing = baseline_seeds - len(chosen.runs)
    if missing > 0:
        run_options = options_for(spec, options, choice.epochs)
        start = _next_seed([r for r in chosen.runs
                            if r.execution.given("seed", 0) < PILOT_START])
        say(f"== {spec.name}: {missing} baseline seeds of the chosen schedule", stream)
        runs, _ = _train(spec, run_options, range(start, start + missing), engine, stream)
        chosen.runs += runs
    # what the gate will see: the spread of every run of the chosen schedule, the baseline's size
    choice = choice_for(chosen, choice.metric, choice.seeds, len(chosen.runs), alpha)
    _drop_other_pilots(baseline_dir, spec, chosen, candidates)
    return _finish(spec, candidates, choice, chosen.runs, alpha, budget_s, engine)


def _extend(spec: Spec, options: RunOptions, extend: int, alpha: float, budget_s: float,
            baseline_dir: Path, engine: Engine, stream: TextIO) -> Calibration:
    """``--extend N``: N more seeds of the current ci schedule, and the report on all of them."""
    ci = _ci_section(spec)
    metrics = gated_metrics(spec)
    stored = stored_runs(baseline_dir, spec)
    run_options = options_for(spec, options, ci.epochs)
    mine = [r for r in stored if r.schedule.to_json_dict() == run_options.schedule_of(spec)]
    say(f"== {spec.name}: {extend} more seeds of the ci schedule on this machine", stream)
    runs, per_seed = _train(spec, run_options, range(_next_seed(stored), _next_seed(stored)
                                                     + extend), engine, stream)
    candidate = Candidate(ci.epochs, _same_data(mine, runs) + runs, per_seed)
    metric = next((m for m in metrics if ci.min_effect.model_dump().get(m)), metrics[0])
    choice = choice_for(candidate, metric, ci.seeds, len(candidate.runs), alpha)
    found = _finish(spec, [candidate], choice, candidate.runs, alpha, budget_s, engine)
    found.extended = True
    return found


def _pilot(spec: Spec, options: RunOptions, pilot_seeds: int, baseline_dir: Path,
           engine: Engine, stream: TextIO) -> list[Candidate]:
    """The pilot: ``pilot_seeds`` seeds of each candidate schedule (the current ci epochs and
    one fewer and more, within the spec's own), with the stored runs of each."""
    train = _train_section(spec)
    stored = stored_runs(baseline_dir, spec)
    epochs_now = spec.ci.epochs if spec.ci is not None else min(2, train.epochs)
    trial = sorted({e for e in (epochs_now - 1, epochs_now, epochs_now + 1)
                    if 1 <= e <= train.epochs})
    candidates = []
    next_pilot = _next_seed(stored, PILOT_START)
    for epochs in trial:
        run_options = options_for(spec, options, epochs)
        schedule = run_options.schedule_of(spec)
        mine = [r for r in stored if r.schedule.to_json_dict() == schedule]
        seeds = range(next_pilot, next_pilot + pilot_seeds)
        next_pilot += pilot_seeds
        say(f"== {spec.name}: pilot of {epochs} epoch(s), seed {seeds.start}-{seeds.stop - 1}"
            f" ({len(mine)} stored run(s) of this schedule)", stream)
        runs, per_seed = _train(spec, run_options, seeds, engine, stream)
        candidates.append(Candidate(epochs, _same_data(mine, runs) + runs, per_seed))
    return candidates


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

