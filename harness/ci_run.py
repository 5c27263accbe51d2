"""``harness gate --run``: train each spec's CI schedule (all of it, or one shard) for the gate
to judge (:mod:`harness.gate` judges; this module only trains)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .errors import UsageError
from .gate import baseline_runs, seeds_of
from .results import shown_path
from .verbosity import say

if TYPE_CHECKING:  # pragma: no cover
    from .parallel import Engine
    from .pipeline import RunOptions
    from .result_types import RunResult
    from .shard import Shard
    from .spec import Spec
    from .tasks import Task


def fresh_seeds(spec: Spec, count: int, baseline_dir: Path | None,
                start: int | None = None) -> list[int]:
    """``count`` seeds for a gate run: from ``start``, else after the highest seed stored in the
    spec's baseline (so the two samples are independent), else from the spec's seed."""
    if spec.train is None:
        raise UsageError(f"{spec.path}: has no train section; the gate trains its ci schedule")
    if start is None:
        stored = [s for s in seeds_of(baseline_runs(baseline_dir, spec)) if s is not None] \
            if baseline_dir is not None else []
        start = max(stored) + 1 if stored else spec.train.seed
    return list(range(start, start + count))


def not_gated(specs: Sequence[Spec]) -> list[str]:
    """The specs without a ci section, each with why it is not gated (for the verdict)."""
    return [f"{spec.name} ({shown_path(spec.path)}): "
            f"{'architecture only' if not spec.trains else 'no ci section'}, not gated"
            for spec in specs if spec.ci is None]


def ci_tasks(specs: Sequence[Spec], options: RunOptions, baseline_dir: Path | None,
             seeds: int | None = None, start: int | None = None
             ) -> tuple[list[Task], list[str]]:
    """The matrix of the gate's runs: each gated spec's CI schedule with ``ci.seeds`` fresh
    seeds (or ``seeds``); and the specs not gated, with the reason."""
    from .pipeline import RunOptions
    from .tasks import Task

    tasks: list[Task] = []
    skipped: list[str] = []
    for spec in specs:
        if spec.ci is None:
            skipped.extend(not_gated([spec]))
            continue
        ci_options = replace(RunOptions.for_ci(spec), data=options.data, out=options.out,
                             mode=options.mode, deterministic=options.deterministic)
        chosen = fresh_seeds(spec, seeds or spec.ci.seeds, baseline_dir, start)
        tasks += [Task(spec, ci_options, seed) for seed in chosen]
    return tasks, skipped


def run_ci(specs: Sequence[Spec], options: RunOptions, baseline_dir: Path | None,
           seeds: int | None = None, start: int | None = None, stream: TextIO | None = None,
           engine: Engine | None = None, shard: Shard | None = None
           ) -> tuple[list[RunResult], list[str]]:
    """Train every spec's CI schedule (:func:`ci_tasks`) on ``engine``
    (:func:`harness.parallel.run_tasks`; None: one local process per core); with ``shard``,
    only its part of the matrix, and write the shard's manifest into ``options.out``
    (:mod:`harness.shard`).

    Args:
        options: the data, out, mode and determinism of the runs.

    Returns:
        ``(runs, skipped)``: the results of every run, and the specs not run, with the reason.
    """
    from .parallel import run_tasks

    tasks, skipped = ci_tasks(specs, options, baseline_dir, seeds, start)
    mine = tasks
    if shard is not None:
        from .shard import select

        mine = select(tasks, shard)
        say(f"shard {shard}: {len(mine)} of the matrix's {len(tasks)} runs", stream)
    for spec in specs:
        chosen = [t.seed for t in mine if t.spec.name == spec.name]
        if chosen:
            say(f"== {spec.name}: CI schedule, seed {', '.join(map(str, chosen))}", stream)
    runs = run_tasks(mine, engine, stream)
    if shard is not None:
        write_shard(options.out, shard, tasks, mine, runs, stream)
    return runs, skipped


def write_shard(out: str | Path, shard: Shard, matrix: Sequence[Task], mine: Sequence[Task],
                runs: Sequence[RunResult], stream: TextIO | None = None) -> Path:
    """The shard's manifest for the runs it made (matched to its tasks by spec and seed)."""
    from .shard import write_manifest

    made = {(r.spec.name, r.execution.seed): r for r in runs}
    pairs = [(t, made[(t.spec.name, t.seed)]) for t in mine if (t.spec.name, t.seed) in made]
    path = write_manifest(out, shard, matrix, pairs)
    say(f"shard {shard}: manifest {shown_path(path)}", stream)
    return path


__all__ = ["ci_tasks", "fresh_seeds", "not_gated", "run_ci", "write_shard"]
