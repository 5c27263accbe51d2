"""``harness publish``: the results history as a static HTML site that opens from disk.

    harness publish [--out DIR] [--db URL] [--metric M]

``DIR/index.html`` lists every spec in the store: its latest verdict (the newest gate verdict
stored for it, else the band verdict of its newest run), the latest value of its metric, how
many runs and commits, and a sparkline of the per-commit means linking to the spec's page.
``DIR/<spec>.html`` shows the spec's trend charts (PNGs beside the page, drawn by
:func:`harness.history.trend.chart`), the per-commit table of each series, its change points,
its gate verdicts and its last runs.

Every link and image is relative and every style is inline: the site opens through
``file://``, needs no network and no JavaScript, and can be copied anywhere as one folder
(:mod:`.html` writes the pages, :mod:`.site` says what they show).
Every value shown is HTML-escaped; every file is written atomically, ``index.html`` last.
Nothing here imports TensorFlow; matplotlib only inside :func:`harness.history.trend.chart`.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import HarnessError, NoHistory, SpecError
from .html import LAST_RUNS, LAST_VERDICTS, index_html, sparkline, spec_html
from .site import PageVerdict, SpecPage, band_verdict, gate_verdict, slug, unique_name

if TYPE_CHECKING:  # pragma: no cover
    from .store import Store

DEFAULT_OUT = "reports/site"
DEFAULT_METRIC = "best_val_acc"
INDEX = "index"


class PublishError(HarnessError):
    """The site cannot be written where ``--out`` points (not a folder, not writable)."""


def add_parser(sub: Any) -> None:
    """Add ``publish`` to the CLI's subcommands (``sub``: argparse's subparsers action)."""
    p = sub.add_parser("publish", help="write the results history as a static HTML site "
                       "(index.html and one page per spec) that opens from disk")
    p.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                   help=f"the site's folder (default: {DEFAULT_OUT}/)")
    from .command import add_store_options

    add_store_options(p)
    p.set_defaults(func=cmd_publish)


def cmd_publish(args: argparse.Namespace) -> int:
    """``harness publish``: write the site, print where its index is.

    Raises:
        StoreError: the store is missing, corrupt or unreachable.
        NoHistory: the store holds nothing.
        PublishError: ``--out`` cannot be written.
    """
    from .store import open_store

    with open_store(args.db, create=False) as store:
        index = publish(store, Path(args.out), metric=args.metric)
    print(f"site: {index} (open it in a browser)")
    return 0


# ---------------------------------------------------------------------------------------------
# Publishing


def _load_spec(specs_dir: Path | None, name: str) -> Any:
    """The parsed ``specs_dir/<name>.yaml``, or None (absent, or a spec that does not load:
    the site then shows no band rather than refusing to publish the history)."""
    if specs_dir is None:
        return None
    path = specs_dir / f"{name}.yaml"
    if not path.is_file():
        return None
    from ..spec import load_spec

    try:
        return load_spec(path)
    except SpecError:
        return None


def _metric_of(given: str | None, spec: Any, newest_document: dict[str, Any] | None) -> str:
    if given:
        return given
    if spec is not None and spec.band is not None:
        return spec.band.metric
    band = (newest_document or {}).get("band")
    if isinstance(band, dict) and isinstance(band.get("metric"), str):
        return band["metric"]
    return DEFAULT_METRIC


def _prepare(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PublishError(f"--out {out}: cannot write the site there "
                           f"({exc.strerror or exc})") from None


def _write(path: Path, content: str | bytes) -> None:
    from ..errors import ResultsError
    from ..results import write_text_atomic

    try:
        write_text_atomic(path, content)
    except ResultsError as exc:
        raise PublishError(" ".join(str(exc).split())) from None


def publish(store: Store, out: Path, specs_dir: Path | None = Path("specs"),
            metric: str | None = None) -> Path:
    """Write the site of the results history: ``out/index.html``, ``out/<spec>.html`` per spec
    and their PNG charts.

    Args:
        store: an open results store.
        out: the site's folder (created when missing); files of an earlier site are replaced.
        specs_dir: where ``<spec name>.yaml`` files give each spec's band metric and band;
            None: no spec files (the band metric stored with the newest run, else
            ``best_val_acc``).
        metric: the figure to follow for every spec (default: each spec's band metric).

    Returns:
        The path of ``index.html``.

    Raises:
        NoHistory: the store holds no rows.
        PublishError: ``out`` cannot be created or written.
        StoreError: the store cannot be read.
    """
    names = [s.name for s in store.specs()]
    if not names:
        raise NoHistory(f"the results history at {store.where} holds no runs: run "
                        "`harness history import reports/` first")
    out = Path(out)
    _prepare(out)
    generated = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
    taken = {f"{INDEX}.html"}
    pages = []
    for name in names:
        page = _spec_page(store, name, out, taken, specs_dir, metric)
        _write(out / page.file, spec_html(page, generated))
        pages.append(page)
    index = out / f"{INDEX}.html"
    _write(index, index_html(pages, store.where, generated))
    return index


def _spec_page(store: Store, name: str, out: Path, taken: set[str], specs_dir: Path | None,
               metric: str | None) -> SpecPage:
    """A spec's page with its series, their charts (written into ``out``, named apart from
    those in ``taken``) and its latest verdict."""
    from .documents import GATE, RUN
    from .trend import build_series, chart, series_band

    rows = store.runs(name)
    runs = [r for r in rows if r.kind == RUN]
    gates = [r for r in rows if r.kind == GATE]
    spec = _load_spec(specs_dir, name)
    newest = store.document(runs[-1].run_id) if runs else None
    chosen = _metric_of(metric, spec, newest)
    runs = [dataclasses.replace(r, value=r.metrics.get(chosen)) for r in runs]
    page = SpecPage(name, unique_name(slug(name), taken, ".html"), chosen, spec, runs, gates,
                    len(rows) - len(runs) - len(gates))
    stem = page.file[: -len(".html")]
    page.series = build_series(name, chosen, runs)
    for series in page.series:
        png = unique_name(f"{stem}.{slug(chosen)}-{slug(series.schedule or 'unknown')}-"
                          f"{series.epochs or 0}", taken, ".png")
        try:
            chart(series, out / png, series_band(spec, series.schedule, chosen))
        except HarnessError as exc:  # write_text_atomic's ResultsError
            raise PublishError(" ".join(str(exc).split())) from None
        page.charts.append(png)
    if gates:
        page.verdict = gate_verdict(gates[-1], chosen)
    elif runs:
        page.verdict = band_verdict(runs[-1], newest)
    elif page.other:
        page.verdict = PageVerdict("no verdict", f"{page.other} bench row(s), no runs", "none")
    return page


# LAST_RUNS, LAST_VERDICTS (html) and sparkline stay importable from here
__all__ = ["DEFAULT_METRIC", "DEFAULT_OUT", "INDEX", "LAST_RUNS", "LAST_VERDICTS", "PublishError",
           "add_parser", "cmd_publish", "publish", "sparkline"]
