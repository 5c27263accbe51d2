"""``harness bench``: benchmark training and inference per spec, device and execution mode."""

from __future__ import annotations

import argparse

from .common import quiet_tensorflow, spec_paths
from .options import positive_int


def cmd_bench(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from ..bench import BenchOptions, parse_devices, parse_modes, run_bench
    from ..spec import load_specs

    devices, modes = parse_devices(args.devices), parse_modes(args.modes)
    specs = load_specs(spec_paths(args.specs))
    quiet_tensorflow()
    given = {"rounds": args.rounds, "timed_epochs": args.timed_epochs,
             "latency_repeats": args.latency_repeats, "train_samples": args.train_samples}
    options = BenchOptions(devices=devices, modes=modes, data=args.data, out=args.out,
                           reports=args.reports, benchmark_json=args.benchmark_json,
                           **{k: v for k, v in given.items() if v is not None})
    if args.full_epochs:
        options = replace(options, train_samples=None)
    run_bench(specs, options)
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``bench`` to the CLI's subcommands (``sub``: argparse's subparsers action)."""
    p = sub.add_parser("bench", help="benchmark training and inference per spec, device and "
                       "execution mode; write reports/bench/")
    p.add_argument("specs", nargs="*", metavar="SPEC")
    p.add_argument("--devices", default="cpu,gpu", metavar="LIST",
                   help="comma-separated cpu,gpu (default: both; a missing one is reported as "
                   "skipped with the reason)")
    p.add_argument("--modes", default="default,xla", metavar="LIST",
                   help="comma-separated execution modes: default (Keras's jit_compile='auto'), "
                   "xla (jit_compile=True) (default: both)")
    p.add_argument("--train-samples", type=positive_int, default=None, metavar="N",
                   help="train on the first N training reviews, split by the spec's "
                   "validation_split (default: 2560)")
    p.add_argument("--full-epochs", action="store_true",
                   help="train on all 25,000 training reviews (overrides --train-samples)")
    p.add_argument("--rounds", type=positive_int, default=None,
                   help="interleaved rounds of timed epochs per variant (default: 4)")
    p.add_argument("--timed-epochs", type=positive_int, default=None,
                   help="timed epochs per variant in each round (default: 1)")
    p.add_argument("--latency-repeats", type=positive_int, default=None, metavar="N",
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

