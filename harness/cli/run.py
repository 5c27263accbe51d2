"""``harness run``: train each spec (one seed, a list, or ``--seeds N``; ``--ci``: its CI
schedule; ``--shard K/N``: one part of the matrix), then check the band on the seed mean."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import MissingDataFile, UsageError
from ..signals import interrupt_on_signals
from ..verbosity import QUIET, say
from .common import make_engine, quiet_tensorflow, spec_paths
from .options import execution_options, jobs_option, positive_int, seed_list, shard_option

if TYPE_CHECKING:  # pragma: no cover
    from ..build import CompiledModels
    from ..parallel import Task
    from ..pipeline import RunOptions
    from ..result_types import RunResult
    from ..shard import Shard
    from ..spec import Spec


def _seeds(args: argparse.Namespace, spec: Spec) -> list[int]:
    """The seeds of ``harness run``: ``--seed`` (one, or a list), ``--seeds N`` from it."""
    from ..pipeline.options import train_section

    given = args.seed
    count = args.seeds
    if count is not None and given is not None and len(given) > 1:
        raise UsageError("--seeds: give either a list of seeds (--seed 0,3,7) or a count "
                         f"(--seeds {count}), not both")
    if given is not None and len(given) > 1:
        return list(given)
    start = given[0] if given else train_section(spec).seed
    if count is None:
        count = spec.ci.seeds if args.ci and spec.ci is not None else 1
    return list(range(start, start + count))


def _check_options(args: argparse.Namespace, specs: Sequence[Spec]) -> None:
    """Options that contradict each other or the specs, before anything runs.

    Raises:
        UsageError: a schedule option with ``--ci``, a spec without a ci section with ``--ci``,
            ``--resume`` with several seeds, ``--shard`` with ``--resume``.
    """
    if args.ci:
        overrides = [f"--{n.replace('_', '-')}" for n in ("epochs", "train_samples",
                                                          "test_samples")
                     if getattr(args, n) is not None]
        if overrides:
            raise UsageError(f"{', '.join(overrides)}: the CI schedule comes from each spec's ci "
                             "section; drop the option or --ci")
        missing = [s.path for s in specs if s.trains and s.ci is None]
        if missing:
            raise UsageError(f"{', '.join(missing)}: no ci section; --ci runs the ci schedule "
                             "(epochs, band, min_effect, ...) each spec declares")
    if args.resume and (args.seeds or (args.seed and len(args.seed) > 1)):
        raise UsageError("--resume goes on with one interrupted run per spec; drop --seeds and "
                         "seed lists")


def _base_options(args: argparse.Namespace) -> RunOptions:
    from ..pipeline import RunOptions

    return RunOptions(data=args.data, out=args.out or ("reports/ci" if args.ci else "reports"),
                      mode=args.mode, epochs=args.epochs, train_samples=args.train_samples,
                      test_samples=args.test_samples, device=args.device, resume=args.resume,
                      deterministic=args.deterministic,
                      checkpoint_every_epoch=args.checkpoint_every_epoch)


@dataclass(frozen=True)
class ShardPlan:
    """``--shard K/N``: the shard, the whole matrix of specs x seeds, and this shard's part."""

    shard: Shard
    matrix: list[Task]
    mine: list[Task]


def _plan_shard(args: argparse.Namespace, specs: Sequence[Spec],
                base: RunOptions) -> ShardPlan | None:
    if args.shard is None:
        return None
    from ..parallel import Task
    from ..shard import parse_shard, select

    if args.resume:
        raise UsageError("--shard: picks part of a matrix of new runs; drop --resume")
    shard = parse_shard(args.shard)
    matrix = [Task(spec, _spec_options(args, spec, base), seed) for spec in specs
              if spec.trains for seed in _seeds(args, spec)]
    mine = select(matrix, shard)
    say(f"shard {shard}: {len(mine)} of the matrix's {len(matrix)} runs", at=QUIET)
    return ShardPlan(shard, matrix, mine)


def cmd_run(args: argparse.Namespace) -> int:
    from ..build import CompiledModels
    from ..pipeline import band_for, band_miss
    from ..spec import load_specs

    specs = load_specs(spec_paths(args.specs))
    _check_options(args, specs)
    quiet_tensorflow()
    base = _base_options(args)
    misses: list[str] = []
    skipped: list[str] = []
    models = CompiledModels()
    made: list[RunResult] = []
    plan = _plan_shard(args, specs, base)
    for spec in specs:
        if not spec.trains:
            _verify_only(spec)
            continue
        options = _spec_options(args, spec, base)
        # A resumed run takes its seed from the run it resumes unless --seed is given.
        seeds: list[int | None] = ([args.seed[0] if args.seed else None] if args.resume
                                   else list(_seeds(args, spec)))
        if plan is not None:
            seeds = [t.seed for t in plan.mine if t.spec.name == spec.name]
            if not seeds:
                continue
        runs = _train(args, spec, options, seeds, models)
        if runs is None:
            skipped.append(spec.name)
            continue
        made += runs
        misses.extend(f"{spec.name}: seed {r.execution.seed}: {r.stop_reason}"
                      for r in runs if r.status != "complete")
        if len(runs) > 1:
            say(_seed_statistics(spec, runs, Path(options.out) / spec.name), at=QUIET)
        miss = band_miss(band_for(spec, runs[0].schedule.to_json_dict()), runs)
        if miss:
            where = "ci.band" if args.ci else "band"
            misses.append(f"{spec.name}: {miss} ({spec.path}: {where})")
    if plan is not None:
        from ..ci_run import write_shard

        write_shard(base.out, plan.shard, plan.matrix, plan.mine, made)
    if skipped:
        say(f"skipped (data not on this machine): {', '.join(skipped)}", at=QUIET)
    if misses:
        print("error: " + "; ".join(misses), file=sys.stderr)
        return 1
    return 0


def _train(args: argparse.Namespace, spec: Spec, options: RunOptions, seeds: list[int | None],
           models: CompiledModels) -> list[RunResult] | None:
    """Train the spec's seeds: one here (a NaN loss is an error, as ever), several on the
    engine. None when its data file is missing and ``--skip-missing-data`` lists it as skipped
    (after building and verifying its model)."""
    from ..parallel import Task, run_tasks
    from ..pipeline import run_spec

    # SIGTERM (kill, timeout, a job scheduler) stops training the way Ctrl-C does.
    try:
        with interrupt_on_signals():
            if len(seeds) == 1 and not args.cluster:  # a NaN loss is an error, as ever
                return [run_spec(spec, dataclasses.replace(options, seed=seeds[0]),
                                 models=models)]
            # --resume --cluster: the one seed is None, the resumed run's own (run_task passes
            # it on to run_spec as options.seed)
            tasks = [Task(spec, options, s) for s in seeds]
            return run_tasks(tasks, make_engine(args))
    except MissingDataFile as exc:
        if not args.skip_missing_data:
            raise
        # The main job reproduces what the data on this machine allows; the others are
        # still built and verified, then listed with the file they need and where to get it.
        from ..build import build_model
        from ..verify import verify_model

        verified = verify_model(build_model(spec), spec)
        say(f"skipped {spec.name} ({spec.path}): verified "
            f"({verified.totals['total_params']:,} params), not trained: {exc}", at=QUIET)
        return None


def _spec_options(args: argparse.Namespace, spec: Spec, base: RunOptions) -> RunOptions:
    """The run options of one spec: ``base``, or its CI schedule with ``--ci``."""
    from ..pipeline import RunOptions

    if not args.ci:
        return base
    return RunOptions.for_ci(spec, data=base.data, out=base.out, mode=base.mode,
                             device=base.device, resume=base.resume,
                             deterministic=base.deterministic,
                             checkpoint_every_epoch=base.checkpoint_every_epoch)


def _verify_only(spec: Spec) -> None:
    from ..build import build_model
    from ..verify import verify_model

    result = verify_model(build_model(spec), spec)
    say(f"== {spec.name} ({spec.path}): architecture only, verified "
        f"({result.totals['total_params']:,} params); nothing to train", at=QUIET)



def _seed_statistics(spec: Spec, runs: list[RunResult], folder: Path) -> str:
    """Print-ready statistics of these seeds. ``folder/seeds.md`` gets those of every complete
    run stored in ``folder/runs/`` that is comparable with them (a baseline grown over time)."""
    from ..comparable import identity
    from ..report import seeds_section
    from ..results import load_run, write_text_atomic

    ci_band = spec.ci.band if spec.ci is not None else None
    extra = tuple(b.metric for b in (spec.band, ci_band) if b is not None)
    text = f"## {spec.name}: {len(runs)} seeds\n\n{seeds_section(runs, extra)}\n"
    mine = identity(runs[0])
    stored = [load_run(f) for f in sorted((folder / "runs").glob("*.json"))]
    stored = [r for r in stored if r.status == "complete" and identity(r) == mine]
    stored.sort(key=lambda r: r.execution.seed or 0)
    write_text_atomic(folder / "seeds.md", f"## {spec.name}: {len(stored)} comparable runs in "
                      f"runs/\n\n{seeds_section(stored, extra)}\n")
    return text


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``run`` to the CLI's subcommands (``sub``: argparse's subparsers action)."""
    p = sub.add_parser("run", help="validate, build, verify, train, evaluate and report")
    p.add_argument("specs", nargs="*", metavar="SPEC")
    p.add_argument("--data", metavar="PATH", default=None,
                   help="the data of the spec's source: the Stanford IMDB archive "
                   "(aclImdb_v1.tar.gz) or its unpacked folder (default: $HARNESS_IMDB_DATA, "
                   "else keras.datasets.imdb's download), the Jena CSV (default: "
                   "$HARNESS_JENA_DATA, $HARNESS_DATA_DIR, the working directory), an arrays "
                   ".npz (default: data.file)")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="reports folder (default: reports, or reports/ci with --ci)")
    execution_options(p)
    jobs_option(p)
    p.add_argument("--ci", action="store_true",
                   help="run each spec's CI schedule (its ci section: epochs, samples, seeds)")
    p.add_argument("--epochs", type=positive_int, default=None,
                   help="override the spec's epochs")
    p.add_argument("--train-samples", type=positive_int, default=None, metavar="N",
                   help="use only the first N training reviews")
    p.add_argument("--test-samples", type=positive_int, default=None, metavar="N",
                   help="evaluate on the first N test reviews only")
    p.add_argument("--seed", type=seed_list, default=None, metavar="N[,N...]",
                   help="override the spec's seed; a list runs each seed")
    p.add_argument("--seeds", type=positive_int, default=None, metavar="N",
                   help="run N seeds, from --seed (default: the spec's seed); prints mean, std "
                   "and 95%% CI of each metric")
    p.add_argument("--device", choices=["auto", "cpu", "gpu"], default="auto",
                   help="where to train: auto (TensorFlow's choice, the default), cpu, or gpu "
                   "(an error when TensorFlow sees none)")
    p.add_argument("--resume", action="store_true",
                   help="go on with the newest interrupted run of each spec in --out, from its "
                   "newest checkpoint (options not given are the run's)")
    p.add_argument("--checkpoint-every-epoch", action="store_true",
                   help="write the checkpoint that --resume goes on from after every epoch "
                   "(default: after the first, then as often as 1%% of the training time "
                   "allows, which is every epoch of a full run on a CPU)")
    shard_option(p)
    p.add_argument("--skip-missing-data", action="store_true",
                   help="list a spec whose data file is not on this machine (the Jena CSV, "
                        "GloVe vectors) as skipped, with where to get it, and go on with the "
                        "others (the main job, tox -e reproduce)")
    p.set_defaults(func=cmd_run)

