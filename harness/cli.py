"""The ``harness`` command: ``run``, ``validate``, ``verify``, ``bench``, ``report``.

Every user error is a :class:`harness.errors.HarnessError`, caught here in one place and printed
as ``error: ...`` without a traceback (``--debug`` re-raises it). TensorFlow is imported only by
the subcommands that build models: ``harness --help`` and ``harness validate`` stay fast.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import HarnessError, SpecError, UsageError, error_line
from .signals import interrupt_on_signals

DEFAULT_SPECS = "specs"


def _quiet_tensorflow() -> None:
    # TensorFlow's C++ start-up chatter (oneDNN, CPU features, CUDA probing) hides the progress
    # lines; users who want it can set TF_CPP_MIN_LOG_LEVEL themselves.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _spec_paths(given: Sequence[str]) -> list[Path]:
    from .spec import discover_specs

    paths = discover_specs(given or [DEFAULT_SPECS])
    if not paths:
        raise UsageError(f"no spec files found in {', '.join(given or [DEFAULT_SPECS])}")
    return paths


def cmd_validate(args: argparse.Namespace) -> int:
    from .spec import load_specs

    t0 = time.perf_counter()
    specs = load_specs(_spec_paths(args.specs))
    for spec in specs:
        kind = "trains" if spec.trains else "architecture only"
        print(f"ok  {spec.path}  ({spec.name}, {len(spec.model.layers)} layers, {kind})")
    print(f"{len(specs)} spec(s) valid in {time.perf_counter() - t0:.2f} s")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from .spec import load_specs

    if args.data is not None and not args.parity:
        raise UsageError(f"--data {args.data}: real reviews are used only by the parity check; "
                         "add --parity")
    specs = load_specs(_spec_paths(args.specs))
    t0 = time.perf_counter()
    _quiet_tensorflow()
    from .build import build_model
    from .verify import architecture_table, measure, summary_table

    failed = []
    for spec in specs:
        model = build_model(spec)
        result = measure(model, spec)
        status = "ok" if result.ok else "MISMATCH"
        print(f"\n## {spec.name} ({spec.path}): {status}\n")
        print(architecture_table(result))
        if not args.no_summary:
            print(f"\nmodel.summary() of \"{spec.name}\":\n")
            print(summary_table(model))
        if not result.ok:
            failed.append(f"{spec.path}: " + "; ".join(result.problems))
        elif args.parity:
            problems = _parity(model, spec, args.data)
            if problems:
                failed.append(" | ".join(problems))
    print(f"\n{len(specs) - len(failed)} of {len(specs)} spec(s) verified in "
          f"{time.perf_counter() - t0:.1f} s (TensorFlow import included)")
    if failed:
        raise HarnessError(f"{len(failed)} spec(s) do not match their models: "
                           + " | ".join(failed))
    return 0


PARITY_REVIEWS = 4  # real reviews per parity check: a few seconds per model


def _parity(model, spec, data: str | None) -> list[str]:
    """Check the model against the NumPy references; print the tables; return the failures.

    Inputs: seeded random ones, and with ``--data`` the first PARITY_REVIEWS test reviews at the
    spec's full maxlen (:func:`harness.parity.review_inputs`). Biases are randomized first (a
    fresh model's zero biases would hide a bias-layout error).
    """
    from .parity import measure_parity, random_inputs, randomize_biases, review_inputs

    randomize_biases(model, seed=0)
    batches = [("random inputs", random_inputs(spec, seed=0))]
    if data is not None:
        x, words = review_inputs(spec, data, PARITY_REVIEWS)
        batches.append((words, x))
    failed = []
    for words, x in batches:
        t0 = time.perf_counter()
        result = measure_parity(model, spec, x, inputs=words)
        status = "ok" if result.ok else "DIFFERS"
        print(f"\nNumerical parity on {words}, input shape {x.shape}: {status} "
              f"({time.perf_counter() - t0:.1f} s)\n")
        print(result.table())
        if not result.ok:
            failed.append(f"{spec.path}: parity on {words}: " + "; ".join(result.problems))
    return failed


def cmd_run(args: argparse.Namespace) -> int:
    from .pipeline import RunOptions, run_spec
    from .spec import load_specs

    specs = load_specs(_spec_paths(args.specs))
    _quiet_tensorflow()
    options = RunOptions(data=args.data, out=args.out, mode=args.mode, epochs=args.epochs,
                         train_samples=args.train_samples, test_samples=args.test_samples,
                         seed=args.seed, device=args.device, resume=args.resume)
    misses = []
    for spec in specs:
        if not spec.trains:
            _verify_only(spec)
            continue
        # SIGTERM (kill, timeout, a job scheduler) stops training the way Ctrl-C does.
        with interrupt_on_signals():
            results = run_spec(spec, options)
        band = results.get("band")
        if band and band["verdict"] != "pass":
            misses.append(f"{spec.name}: {band['metric']} = {band['value']} outside the band "
                          f"[{band['low']}, {band['high']}] ({spec.path}: band)")
    if misses:
        print("error: " + "; ".join(misses), file=sys.stderr)
        return 1
    return 0


def _verify_only(spec) -> None:
    from .build import build_model
    from .verify import verify_model

    result = verify_model(build_model(spec), spec)
    print(f"== {spec.name} ({spec.path}): architecture only, verified "
          f"({result.totals['total_params']:,} params); nothing to train")


def cmd_bench(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from .bench import BenchOptions, parse_devices, parse_modes, run_bench
    from .spec import load_specs

    devices, modes = parse_devices(args.devices), parse_modes(args.modes)
    specs = load_specs(_spec_paths(args.specs))
    _quiet_tensorflow()
    given = {"rounds": args.rounds, "timed_epochs": args.timed_epochs,
             "latency_repeats": args.latency_repeats, "train_samples": args.train_samples}
    options = BenchOptions(devices=devices, modes=modes, data=args.data, out=args.out,
                           reports=args.reports, benchmark_json=args.benchmark_json,
                           **{k: v for k, v in given.items() if v is not None})
    if args.full_epochs:
        options = replace(options, train_samples=None)
    run_bench(specs, options)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .bench import BENCH_KIND
    from .bench_report import load_pytest_benchmark, write_bench_report
    from .results import load_results
    from .runs import publish

    pytest_json = load_pytest_benchmark(args.benchmark_json) if args.benchmark_json else None
    if not args.results and pytest_json is None:
        raise UsageError("report: give a RESULTS_JSON file, or --benchmark-json FILE")
    if not args.results:
        folder = Path(args.out) if args.out else Path(args.benchmark_json).parent
        print(f"report: {write_bench_report(None, folder, pytest_json)}")
    for path in args.results:
        results = load_results(path)
        folder = Path(args.out) if args.out else Path(path).parent
        if results.get("kind") == BENCH_KIND:
            print(f"report: {write_bench_report(results, folder, pytest_json)}")
        else:
            print(f"report: {publish(folder, results, results_json=False)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Validate, build, verify, train and report Keras reference models "
        "declared in spec files.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check spec files against the schema (no TensorFlow)")
    p.add_argument("specs", nargs="*", metavar="SPEC", help="spec files or folders "
                   f"(default: {DEFAULT_SPECS}/)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("verify", help="build models and compare shapes and params, no training")
    p.add_argument("specs", nargs="*", metavar="SPEC")
    p.add_argument("--no-summary", action="store_true",
                   help="leave out each model's summary (the notebook's model.summary() layout)")
    p.add_argument("--parity", action="store_true",
                   help="also compare every layer's output with its NumPy reference "
                   "(within 1e-5) on random inputs, and on real reviews with --data")
    p.add_argument("--data", metavar="PATH", default=None,
                   help="with --parity: the Stanford IMDB archive or its unpacked folder; a few "
                   "test reviews are checked too")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("run", help="validate, build, verify, train, evaluate and report")
    p.add_argument("specs", nargs="*", metavar="SPEC")
    p.add_argument("--data", metavar="PATH", default=None,
                   help="Stanford IMDB archive (aclImdb_v1.tar.gz) or its unpacked folder "
                   "(default: $HARNESS_IMDB_DATA, else keras.datasets.imdb's download)")
    p.add_argument("--out", metavar="DIR", default="reports",
                   help="reports folder (default: reports)")
    p.add_argument("--mode", choices=["xla", "default"], default=None,
                   help="execution mode: xla (jit_compile=True, the fastest here; the default) "
                   "or default (the Keras default)")
    p.add_argument("--epochs", type=_positive_int, default=None,
                   help="override the spec's epochs")
    p.add_argument("--train-samples", type=_positive_int, default=None, metavar="N",
                   help="use only the first N training reviews")
    p.add_argument("--test-samples", type=_positive_int, default=None, metavar="N",
                   help="evaluate on the first N test reviews only")
    p.add_argument("--seed", type=_non_negative_int, default=None,
                   help="override the spec's seed")
    p.add_argument("--device", choices=["auto", "cpu", "gpu"], default="auto",
                   help="where to train: auto (TensorFlow's choice, the default), cpu, or gpu "
                   "(an error when TensorFlow sees none)")
    p.add_argument("--resume", action="store_true",
                   help="go on with the newest interrupted run of each spec in --out, from its "
                   "last finished epoch (options not given are the run's)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("bench", help="benchmark training and inference per spec, device and "
                       "execution mode; write reports/bench/")
    p.add_argument("specs", nargs="*", metavar="SPEC")
    p.add_argument("--devices", default="cpu,gpu", metavar="LIST",
                   help="comma-separated cpu,gpu (default: both; a missing one is reported as "
                   "skipped with the reason)")
    p.add_argument("--modes", default="default,xla", metavar="LIST",
                   help="comma-separated execution modes: default (Keras's jit_compile='auto'), "
                   "xla (jit_compile=True) (default: both)")
    p.add_argument("--train-samples", type=_positive_int, default=None, metavar="N",
                   help="train on the first N training reviews, split by the spec's "
                   "validation_split (default: 2560)")
    p.add_argument("--full-epochs", action="store_true",
                   help="train on all 25,000 training reviews (overrides --train-samples)")
    p.add_argument("--rounds", type=_positive_int, default=None,
                   help="interleaved rounds of timed epochs per variant (default: 4)")
    p.add_argument("--timed-epochs", type=_positive_int, default=None,
                   help="timed epochs per variant in each round (default: 1)")
    p.add_argument("--latency-repeats", type=_positive_int, default=None, metavar="N",
                   help="timed predict_on_batch calls per batch size (default: 20)")
    p.add_argument("--data", metavar="PATH", default=None,
                   help="Stanford IMDB archive or folder (default: $HARNESS_IMDB_DATA)")
    p.add_argument("--out", metavar="DIR", default="reports/bench",
                   help="results and report folder (default: reports/bench)")
    p.add_argument("--reports", metavar="DIR", default="reports",
                   help="folder of the committed full runs, read for accuracy (default: "
                   "reports)")
    p.add_argument("--benchmark-json", metavar="FILE", default=None,
                   help="a pytest-benchmark JSON file (pytest --benchmark-json) to add to the "
                   "report")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("report", help="re-render report.md and plots from results JSON")
    p.add_argument("results", nargs="*", metavar="RESULTS_JSON")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="write the report here (default: beside the results file)")
    p.add_argument("--benchmark-json", metavar="FILE", default=None,
                   help="add a pytest-benchmark JSON file to a bench report")
    p.set_defaults(func=cmd_report)
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 failure, 2 usage or spec error, 130 Ctrl-C)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except SpecError as exc:
        if args.debug:
            raise
        print(error_line(exc), file=sys.stderr)
        return exc.exit_code
    except HarnessError as exc:
        if args.debug:
            raise
        print(error_line(exc), file=sys.stderr)
        table = getattr(exc, "table", "")
        if table:
            print(table, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("error: interrupted", file=sys.stderr)
        return 130


def entry_point() -> None:
    sys.exit(main())
