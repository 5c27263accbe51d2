"""``harness history``: a spec's metric per commit from the results store, with change points.

    harness history import [PATH...]                  load run files (default: reports/)
    harness history [SPEC...] [--metric M] [--since REF] [--json] [--out DIR] [--db URL]

SPEC is a spec name (``imdb_lstm``) or file; with none, every spec in the store. Per spec and
metric, each comparable series (a schedule) prints a table of the seed mean and its 95%
confidence interval per commit and the change points found; its chart is written to
``DIR/<spec>/<metric>-<schedule>-<epochs>.png`` (default ``.harness/history/``, git-ignored;
``--out reports/history`` for the committed ones), with ``history.md`` beside it. The store
is ``--db``, else ``$HARNESS_DB``, else ``.harness/history.sqlite``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NoHistory, UsageError
from ..gitinfo import git
from ..verbosity import NORMAL, QUIET, say, shows

if TYPE_CHECKING:  # pragma: no cover
    from .rows import RunRow

DEFAULT_OUT = ".harness/history"  # beside the default store; reports/history is committed
DEFAULT_IMPORT = "reports"
DEFAULT_METRIC = "best_val_acc"


def add_parser(sub: Any) -> None:
    """Add ``history`` to the CLI's subcommands (``sub``: argparse's subparsers action)."""
    p = sub.add_parser("history", help="a metric per commit from the results store, with "
                       "change points; `harness history import [PATH...]` loads run files")
    p.add_argument("specs", nargs="*", metavar="SPEC",
                   help="spec names or files (default: every spec in the store); "
                   "`import [PATH...]` loads run files instead (default: reports/)")
    p.add_argument("--since", default=None, metavar="REF",
                   help="only runs from this git commit's time on (a commit, tag or branch), or "
                   "from an ISO date (2026-11-30)")
    p.add_argument("--json", action="store_true", help="print the series as JSON")
    p.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                   help=f"where charts and history.md go (default: {DEFAULT_OUT}/)")
    add_store_options(p)
    p.set_defaults(func=cmd_history)


def add_store_options(p: argparse.ArgumentParser) -> None:
    """``--metric`` and ``--db``, shared by ``history`` and ``publish``."""
    p.add_argument("--metric", default=None, metavar="M",
                   help="the figure to follow, e.g. best_val_acc, test_acc, epoch_time_s "
                   "(default: each spec's band metric, else best_val_acc)")
    p.add_argument("--db", default=None, metavar="URL",
                   help="the results store: an SQLAlchemy URL or an SQLite file (default: "
                   "$HARNESS_DB, else .harness/history.sqlite)")


def since_time(ref: str) -> _dt.datetime:
    """The UTC time of a git ref's commit, or of an ISO date.

    Raises:
        UsageError: neither a commit of the repository here nor a date.
    """
    committed = git("show", "-s", "--format=%cI", f"{ref}^{{commit}}")
    if committed:
        return _dt.datetime.fromisoformat(committed).astimezone(_dt.timezone.utc)
    try:
        when = _dt.datetime.fromisoformat(ref)
    except ValueError:
        raise UsageError(f"--since {ref}: neither a git commit, tag or branch of the repository "
                         "here nor an ISO date (2026-11-30)") from None
    return when if when.tzinfo else when.replace(tzinfo=_dt.timezone.utc)


def _spec_of(given: str) -> tuple[str, Any]:
    """The spec name and the parsed spec (None when no file is found) of a name or a path."""
    from ..spec import load_spec

    path = Path(given)
    if path.suffix in (".yaml", ".yml"):
        spec = load_spec(path)
        return spec.name, spec
    candidate = Path("specs") / f"{given}.yaml"
    return given, (load_spec(candidate) if candidate.is_file() else None)


def cmd_history(args: argparse.Namespace) -> int:
    from . import open_store

    if args.specs[:1] == ["import"]:
        paths = args.specs[1:] or [DEFAULT_IMPORT]
        loaded = unreadable = 0
        with open_store(args.db) as store:
            for path in paths:
                summary = store.import_folder(path)
                print(f"{path}: {summary} (into {store.where})")
                for problem in [*summary.unreadable, *summary.skipped]:
                    print(f"  {problem}", file=sys.stderr)
                loaded += summary.new + summary.updated + summary.present
                unreadable += len(summary.unreadable)
        if unreadable and not loaded:
            print(f"error: none of {' '.join(paths)} could be imported: {unreadable} unreadable "
                  "file(s), listed above", file=sys.stderr)
            return 1
        return 0
    since = since_time(args.since) if args.since else None
    with open_store(args.db, create=False) as store:
        names = args.specs or [s.name for s in store.specs(kind="run")]
        if not names:
            raise NoHistory(f"the results history at {store.where} holds no runs: run "
                            "`harness history import reports/` first")
        documents, missing = [], []
        for given in names:
            name, spec = _spec_of(given)
            metric = args.metric or (spec.band.metric if spec is not None and spec.band
                                     else DEFAULT_METRIC)
            rows = store.runs(name, metric, since=since, kind="run")
            known = [s.name for s in store.specs()]
            if spec is None and name not in known:
                missing.append(f"{name}: no such spec, neither in the results history at "
                               f"{store.where} (it has {', '.join(known) or 'none'}) nor as "
                               f"specs/{name}.yaml")
                continue
            if not any(r.value is not None for r in rows):
                stored = ", ".join(store.metric_names(name)) or "none"
                missing.append(f"{name}: no runs with {metric} in the results history at "
                               f"{store.where}" + (f" since {args.since}" if since else "")
                               + f" (metrics stored: {stored})")
                continue
            documents.append(_render(name, spec, metric, rows, Path(args.out), args.json))
    if args.json:
        print(json.dumps({"history": documents, "missing": missing}, indent=2))
    for line in missing:
        print(f"error: {line}", file=sys.stderr)
    return 1 if missing else 0


def _render(name: str, spec: Any, metric: str, rows: list[RunRow], out: Path, quiet: bool
            ) -> dict[str, Any]:
    from ..results import write_text_atomic
    from .trend import build_series, chart, series_band, table

    lines = [f"# History of {name}: {metric}", ""]
    documents = []
    used: set[str] = set()
    for series in build_series(name, metric, rows):
        stem = f"{metric}-{series.schedule or 'unknown'}-{series.epochs or 0}"
        png = out / name / f"{stem}.png"
        if png.name in used:  # another spec version on the same schedule: its own chart
            png = out / name / f"{stem}-{str(series.identity[0])[:8]}.png"
        used.add(png.name)
        chart(series, png, series_band(spec, series.schedule, metric))
        lines += [f"## {series.label} (spec {str(series.identity[0])[:12]})", ""]
        if series.baseline_mean is not None:
            lines.append(f"- baseline mean: {series.baseline_mean:.4f}")
        lines += [f"- change point at {c.commit}: {c.shift:+.4f} ({c.mean_before:.4f} -> "
                  f"{c.mean_after:.4f}, p={c.p_value:.2g}), comparing {c.before} "
                  f"({c.runs_before} runs) with {c.after} ({c.runs_after} runs)"
                  + (f"; {series.confounders(c)}" if series.confounders(c) else "")
                  for c in series.change_points] or ["- no change point"]
        lines += ["", table(series), "", f"![{metric}]({png.name})", ""]
        documents.append({**series.document(), "chart": png.as_posix()})
    text = "\n".join(lines)
    written = write_text_atomic(out / name / "history.md", text)
    if not quiet and shows(NORMAL):
        print(text)
    elif not quiet:  # -q: one line per spec
        found = sum(len(d["change_points"]) for d in documents)
        say(f"{name}: {len(documents)} series, {found} change point(s); {written}", at=QUIET)
    return {"spec": name, "metric": metric, "series": documents}


__all__ = ["DEFAULT_IMPORT", "DEFAULT_METRIC", "DEFAULT_OUT", "NoHistory", "add_parser",
           "add_store_options", "cmd_history", "since_time"]
