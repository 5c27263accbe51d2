"""``harness calibrate``: choose each spec's CI schedule within a time budget, record its
baseline runs and write its ci section (:mod:`harness.calibrate`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..signals import interrupt_on_signals
from ..verbosity import QUIET, say
from .common import DEFAULT_BASELINE, make_engine, quiet_tensorflow, spec_paths
from .options import execution_options, jobs_option, non_negative_int, positive_int


def cmd_calibrate(args: argparse.Namespace) -> int:
    from ..calibrate import (
        calibrate_spec,
        check_calibratable,
        ci_block,
        parse_duration,
        render,
        write_ci_section,
    )
    from ..pipeline import RunOptions, check_writable
    from ..results import shown_path, write_text_atomic
    from ..spec import load_specs

    budget = parse_duration(args.budget)
    specs = load_specs(spec_paths(args.specs))
    baseline = Path(args.baseline or DEFAULT_BASELINE)
    for spec in specs:  # every spec before any training (a folder of specs)
        check_calibratable(spec, baseline, args.extend)
    check_writable(baseline, remedy="pass --baseline DIR")
    quiet_tensorflow(now=False)  # --extend 0 trains nothing; training imports it where it runs
    options = RunOptions(data=args.data, mode=args.mode, deterministic=args.deterministic)
    for spec in specs:
        with interrupt_on_signals():
            found = calibrate_spec(spec, options, budget, baseline, engine=make_engine(args),
                                   baseline_seeds=args.baseline_seeds, extend=args.extend,
                                   pilot_seeds=args.pilot_seeds, stream=sys.stdout)
        text = render(found)
        path = write_text_atomic(baseline / spec.name / "calibration.md", text)
        say(text)
        if args.extend is None and not args.dry_run:
            choice = found.choice
            write_ci_section(Path(spec.path), ci_block(found), (
                f"CI schedule written by harness calibrate --budget {args.budget}: "
                f"{choice.epochs} epoch(s), {choice.seeds} seeds;\nthe gate detects a drop of "
                f"{choice.detectable:.4f} in {choice.metric} with 80% power against "
                f"{len(found.baseline)} baseline runs\n(report: {shown_path(path)})."))
            say(f"calibrate: wrote the ci section of {spec.path}; report in {path}", at=QUIET)
        else:
            say(f"calibrate: report in {path}", at=QUIET)
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``calibrate`` to the CLI's subcommands (``sub``: argparse's subparsers action)."""
    p = sub.add_parser("calibrate", help="choose each spec's CI schedule (epochs, seeds, "
                       "metric) for the smallest detectable regression within a time budget, "
                       "record its baseline runs and write its ci section")
    p.add_argument("specs", nargs="+", metavar="SPEC", help="spec files or folders")
    p.add_argument("--budget", default="3m", metavar="DURATION",
                   help="the gate's time for each spec per CI run on this machine: 90s, 10m, "
                   "1h (default: 3m)")
    p.add_argument("--baseline", metavar="DIR", default=None,
                   help=f"where the baseline runs go (default: {DEFAULT_BASELINE})")
    p.add_argument("--baseline-seeds", type=positive_int, default=16, metavar="N",
                   help="runs of the chosen schedule the baseline holds (default: 16)")
    p.add_argument("--pilot-seeds", type=positive_int, default=4, metavar="N",
                   help="seeds of each candidate schedule in the pilot (default: 4)")
    p.add_argument("--extend", type=non_negative_int, default=None, metavar="N",
                   help="add N seeds of the current ci schedule, run on this machine, to the "
                   "baseline (no pilot; the ci section stays); 0: report on the stored runs")
    p.add_argument("--dry-run", action="store_true",
                   help="record and report, but leave the spec's ci section as it is")
    p.add_argument("--data", metavar="PATH", default=None,
                   help="the IMDB archive or folder (default: $HARNESS_IMDB_DATA)")
    execution_options(p)
    jobs_option(p)
    p.set_defaults(func=cmd_calibrate)

