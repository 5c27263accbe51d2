"""``harness report``: re-render a run's report.md and plots, or a bench report, from results
JSON."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UsageError
from ..verbosity import QUIET, say


def cmd_report(args: argparse.Namespace) -> int:
    from ..bench import BENCH_KIND
    from ..bench.report import load_bench, load_pytest_benchmark, write_bench_report
    from ..results import load_results
    from ..runs import publish

    pytest_json = load_pytest_benchmark(args.benchmark_json) if args.benchmark_json else None
    if not args.results and pytest_json is None:
        raise UsageError("report: give a RESULTS_JSON file, or --benchmark-json FILE")
    if not args.results:
        folder = Path(args.out) if args.out else Path(args.benchmark_json).parent
        say(f"report: {write_bench_report(None, folder, pytest_json)}", at=QUIET)
    for path in args.results:
        results = load_results(path)
        folder = Path(args.out) if args.out else Path(path).parent
        if results.get("kind") == BENCH_KIND:
            load_bench(path)  # a mistyped field is one line naming this file and the field
            pytest_results = pytest_json or _bench_pytest_json(results, Path(path))
            say(f"report: {write_bench_report(results, folder, pytest_results)}", at=QUIET)
        else:
            say(f"report: {publish(folder, results, results_json=False)}", at=QUIET)
    return 0


def _bench_pytest_json(results: dict, path: Path) -> dict | None:
    """The pytest-benchmark JSON a bench report was made with, when no --benchmark-json is
    given: the file its results name, else ``pytest-benchmark.json`` beside them (as
    ``tox -e bench`` writes it); None when neither exists."""
    from ..bench.report import load_pytest_benchmark

    named = (results.get("settings") or {}).get("benchmark_json")
    for candidate in ([Path(named)] if named else []) + [path.parent / "pytest-benchmark.json"]:
        if candidate.is_file():
            return load_pytest_benchmark(candidate)
    return None


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``report`` to the CLI's subcommands (``sub``: argparse's subparsers action)."""
    p = sub.add_parser("report", help="re-render report.md and plots from results JSON")
    p.add_argument("results", nargs="*", metavar="RESULTS_JSON")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="write the report here (default: beside the results file)")
    p.add_argument("--benchmark-json", metavar="FILE", default=None,
                   help="add a pytest-benchmark JSON file to a bench report")
    p.set_defaults(func=cmd_report)

