"""``harness gate``: judge results (given, or trained first with ``--run``) against each
spec's band and the stored baseline, write the verdict, and exit with its code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..verbosity import NORMAL, QUIET, say, shows
from .common import (
    DEFAULT_BASELINE,
    DEFAULT_SPECS,
    make_engine,
    print_json,
    quiet_tensorflow,
    spec_paths,
)
from .options import execution_options, jobs_option, non_negative_int, positive_int, shard_option

if TYPE_CHECKING:  # pragma: no cover
    from ..gate import Verdict
    from ..history.drift import Reference
    from ..result_types import RunResult
    from ..shard import Shard
    from ..spec import Spec


def check_verdict_path(path: Path) -> None:
    """Fail when the verdict could not be written there (a folder, or a folder not writable).

    Raises:
        UsageError: names the path and what is in the way.
    """
    from ..pipeline import check_writable

    if path.is_dir():
        raise UsageError(f"--verdict {path}: is a folder; pass a file path such as "
                         f"{path / 'verdict.md'}")
    if path.exists() and not path.is_file():
        # the verdict is written to a temporary file and renamed over the path: that would
        # replace a device such as /dev/null
        raise UsageError(f"--verdict {path}: not a regular file; pass a file path such as "
                         "reports/gate/verdict.md")
    if path.suffix == ".json":
        raise UsageError(f"--verdict {path}: the verdict is Markdown; a .json path looks like a "
                         "results file (pass a .md path)")
    check_writable(path.parent, remedy="pass --verdict FILE")


def _check_args(args: argparse.Namespace) -> Shard | None:
    """``--run`` or ``--results``, one of the two; ``--shard`` (with ``--run``) parsed.

    Raises:
        UsageError: both or neither, or ``--shard``, ``--jobs`` or ``--cluster`` without
            ``--run``.
    """
    if args.run == bool(args.results):
        raise UsageError("harness gate: give --results FILE... (results to judge) or --run "
                         "(train each spec's CI schedule first), one of the two")
    if not args.run and (args.jobs is not None or args.cluster is not None):
        raise UsageError(f"{'--cluster' if args.cluster is not None else '--jobs'}: says where "
                         "the CI schedule trains, with --run; --results judges runs already "
                         "made")
    if args.shard is None:
        return None
    from ..shard import parse_shard

    if not args.run:
        raise UsageError("--shard: picks the part of the matrix to train, with --run; "
                         "--results merges the shards' folders by itself")
    return parse_shard(args.shard)


def _baseline_dir(args: argparse.Namespace) -> Path | None:
    """``--baseline DIR``, else ``reports/baseline`` when it exists (None: no baseline yet).

    Raises:
        UsageError: a ``--baseline`` folder that does not exist.
    """
    baseline = Path(args.baseline or DEFAULT_BASELINE)
    if args.baseline is None and not baseline.is_dir():
        return None  # a project without a baseline yet: bands and failure modes only
    if not baseline.is_dir():
        raise UsageError(f"--baseline {baseline}: no such folder (it holds <spec name>/runs/"
                         "*.json, written by harness run --ci --seeds N --out DIR)")
    return baseline


def cmd_gate(args: argparse.Namespace) -> int:
    from ..ci_run import run_ci
    from ..gate import judge, make_groups
    from ..results import shown_path
    from ..spec import load_specs

    shard = _check_args(args)
    specs = load_specs(spec_paths(args.specs))
    check_verdict_path(Path(args.verdict))  # before any training, not after it
    baseline = _baseline_dir(args)
    references = _references(args.reference)  # before any training: a bad name is one line
    if args.run:
        from ..pipeline import RunOptions

        quiet_tensorflow(now=False)  # training imports it where it runs (here or in workers)
        options = RunOptions(data=args.data, out=args.out, mode=args.mode,
                             deterministic=args.deterministic)
        made, skipped = run_ci(specs, options, baseline, seeds=args.seeds, start=args.seed,
                               engine=make_engine(args), shard=shard)
        if shard is not None:  # one part of the matrix: the merge of all parts is judged
            say(f"gate: shard {shard}: {len(made)} run(s) in {args.out}; judge every shard "
                "together with harness gate --results OUT1 OUT2 ... (each shard's --out)",
                at=QUIET)
            return 0
        runs: list[RunResult] = list(made)
    else:
        runs, skipped = _given_runs(args, specs)
    groups, not_comparable = make_groups(runs, specs, baseline)
    verdict = judge(groups, not_comparable)
    verdict.skipped = skipped
    verdict.allow_missing_baseline = args.allow_missing_baseline
    verdict.judged_against.append(f"the stored baseline {shown_path(baseline)}" if baseline
                                  else "no stored baseline (bands and failure modes only)")
    if references:
        from ..history import open_store
        from ..history.drift import guard

        with open_store(args.db, create=False) as store:
            guard(verdict, references, store)
    path = _publish(args, verdict)
    _raise_for(verdict, path)
    say(f"gate: {verdict.state.lower()} ({len(groups)} group(s) judged); verdict in {path}",
        sys.stderr if args.json else sys.stdout, at=QUIET)  # --json: stdout is the document
    return 0


def _given_runs(args: argparse.Namespace, specs: Sequence[Spec]
               ) -> tuple[list[RunResult], list[str]]:
    """``--results``: the runs to judge (the shards' folders merged), and the specs not judged,
    with why.

    Raises:
        UsageError: the verdict file is one of the results files.
    """
    from ..ci_run import not_gated
    from ..gate import load_run_files
    from ..shard import find_manifests, merge

    manifests = find_manifests(args.results)  # first: a manifest given as a results file
    files = load_run_files(args.results)
    if manifests:
        files = merge(manifests, files)
        say(f"gate: merged {len(manifests)} shards of matrix {manifests[0].matrix[:12]} "
            f"({len(files)} runs)", sys.stderr if args.json else sys.stdout)
    if Path(args.verdict).resolve() in {f.resolve() for f, _ in files}:
        raise UsageError(f"--verdict {args.verdict}: is one of the results files to judge")
    judged = {doc.spec.name for _, doc in files}
    skipped = not_gated([s for s in specs if s.name not in judged])
    skipped += [f"{s.name} ({s.path}): gated, but no results of it among those given: "
                "not judged" for s in specs if s.ci is not None and s.name not in judged]
    return [doc for _, doc in files], skipped


def _publish(args: argparse.Namespace, verdict: Verdict) -> Path:
    """Write the verdict to ``--verdict``, print it (Markdown, ``--json``, or its first line with
    ``-q``), add it to the CI step summary and the results history; returns its path."""
    from ..ci_summary import append_step_summary
    from ..gate import render_verdict, verdict_document
    from ..history.record import record as record_history
    from ..results import utc_now, write_text_atomic

    text = render_verdict(verdict)
    # first: a reader that leaves early costs only output, never the verdict file
    path = write_text_atomic(args.verdict, text)
    if args.json:
        print_json(verdict_document(verdict).to_json_dict())
    elif shows(NORMAL):
        print(text)
    else:
        say(verdict.headline(), at=QUIET)  # -q: the verdict's first line; the rest is in --verdict
    append_step_summary(text)
    if verdict.groups:  # a verdict that judged nothing has nothing to keep
        record_history({**verdict_document(verdict).to_json_dict(), "created_utc": utc_now()},
                       path)
    return path


def _raise_for(verdict: Verdict, path: Path) -> None:
    """The verdict's exit: failures and a missing baseline are errors; a pass allowed without a
    baseline says so on standard error.

    Raises:
        RegressionDetected: a check failed.
        NoBaseline: a gated metric had no comparable baseline (without
            ``--allow-missing-baseline``).
    """
    from ..errors import NoBaseline, RegressionDetected

    if verdict.failed:
        raise RegressionDetected(f"gate: {verdict.failure_count} failure(s): "
                                 + " | ".join(verdict.messages()) + f"; verdict in {path}")
    if verdict.state == "NO BASELINE":
        raise NoBaseline(f"gate: no comparable baseline for {'; '.join(verdict.missing())}; "
                         f"verdict in {path}")
    if verdict.state == "PASS WITHOUT BASELINE":
        print(f"gate: PASS WITHOUT BASELINE (--allow-missing-baseline): "
              f"{'; '.join(verdict.missing())}", file=sys.stderr)


def _references(names: Sequence[str] | None) -> list[Reference]:
    from ..history.drift import resolve

    return [resolve(name) for name in names or []]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``gate`` to the CLI's subcommands (``sub``: argparse's subparsers action)."""
    p = sub.add_parser("gate", help="judge results against the spec's band and a stored "
                       "baseline: pass, regression, improvement, not comparable")
    p.add_argument("specs", nargs="*", metavar="SPEC",
                   help=f"spec files or folders (default: {DEFAULT_SPECS}/)")
    p.add_argument("--results", nargs="+", metavar="FILE", default=None,
                   help="results files, or folders of runs/*.json, to judge; the folders of "
                   "the shards of a --shard run are merged (each shard once, all of them)")
    p.add_argument("--run", action="store_true",
                   help="first train each spec's CI schedule (ci.seeds seeds, after the "
                   "baseline's), then judge those runs")
    p.add_argument("--baseline", metavar="DIR", default=None,
                   help="baseline runs, DIR/<spec name>/runs/*.json (default: "
                   f"{DEFAULT_BASELINE}, when it exists)")
    p.add_argument("--verdict", metavar="FILE", default="reports/gate/verdict.md",
                   help="write the verdict here as Markdown (default: reports/gate/verdict.md)")
    p.add_argument("--out", metavar="DIR", default="reports/gate",
                   help="with --run: where the runs go (default: reports/gate)")
    p.add_argument("--data", metavar="PATH", default=None,
                   help="with --run: the IMDB archive or folder (default: $HARNESS_IMDB_DATA)")
    execution_options(p)
    jobs_option(p)
    shard_option(p)
    p.add_argument("--seeds", type=positive_int, default=None, metavar="N",
                   help="with --run: N seeds per spec instead of ci.seeds")
    p.add_argument("--seed", type=non_negative_int, default=None, metavar="N",
                   help="with --run: the first seed (default: after the baseline's seeds)")
    p.add_argument("--json", action="store_true",
                   help="print the verdict as JSON (state, exit code, every metric's figures); "
                   "the Markdown still goes to --verdict")
    p.add_argument("--allow-missing-baseline", action="store_true",
                   help="exit 0 when a gated metric has no comparable baseline (to bootstrap a "
                   "new spec); the verdict still says so in its first line")
    p.add_argument("--reference", action="append", metavar="REF",
                   help="drift guard: also judge against the runs stored for REF (a tag, "
                   "branch or commit; last-tag: the newest tag) in the results history; "
                   "repeatable")
    p.add_argument("--db", default=None, metavar="URL",
                   help="the results history for --reference (default: $HARNESS_DB, else "
                   ".harness/history.sqlite)")
    p.set_defaults(func=cmd_gate)

