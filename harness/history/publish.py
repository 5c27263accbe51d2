"""``harness publish``: the results history as a static HTML site that opens from disk.

    harness publish [--out DIR] [--db URL] [--metric M]

``DIR/index.html`` lists every spec in the store: its latest verdict (the newest gate verdict
stored for it, else the band verdict of its newest run), the latest value of its metric, how
many runs and commits, and a sparkline of the per-commit means linking to the spec's page.
``DIR/<spec>.html`` shows the spec's trend charts (PNGs beside the page, drawn by
:func:`harness.history.trend.chart`), the per-commit table of each series, its change points,
its gate verdicts and its last runs.

Every link and image is relative and every style is inline: the site opens through
``file://``, needs no network and no JavaScript, and can be copied anywhere as one folder.
Every value shown is HTML-escaped; every file is written atomically, ``index.html`` last.
Nothing here imports TensorFlow; matplotlib only inside :func:`harness.history.trend.chart`.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..errors import HarnessError, SpecError

if TYPE_CHECKING:  # pragma: no cover
    from .store import RunRow, Store
    from .trend import Series

DEFAULT_OUT = "reports/site"
DEFAULT_METRIC = "best_val_acc"
LAST_RUNS = 20      # runs listed on a spec page, newest first
LAST_VERDICTS = 10  # gate verdicts listed on a spec page, newest first
_INDEX = "index"


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
# What a page shows


@dataclass
class _Verdict:
    """The latest verdict of a spec as the index shows it."""

    text: str        # "gate: pass", "in band", "out of band", "no verdict"
    figure: str      # the figure behind it, "" when none
    css: str         # ok, bad or none
    when: str = ""   # UTC date of the verdict


@dataclass
class _SpecPage:
    name: str
    file: str                      # <slug>.html
    metric: str
    spec: Any                      # the parsed spec, None when specs/<name>.yaml is absent
    runs: list[RunRow]             # kind run, oldest first, each with ``value`` = the metric
    gates: list[RunRow]            # kind gate, oldest first
    other: int                     # rows of other kinds (bench)
    series: list[Series] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)  # PNG file per series
    verdict: _Verdict | None = None

    @property
    def commits(self) -> int:
        return len({(r.git_commit or "unknown")[:12] for r in self.runs})

    @property
    def latest(self) -> RunRow | None:
        """The newest finished run with a value of the metric (what the series plot)."""
        valued = [r for r in self.runs if r.value is not None and r.status in (None, "complete")]
        return valued[-1] if valued else None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-") or "x"


def _unique(stem: str, taken: set[str], suffix: str) -> str:
    name, n = f"{stem}{suffix}", 1
    while name.lower() in taken:
        n += 1
        name = f"{stem}-{n}{suffix}"
    taken.add(name.lower())
    return name


def _num(value: Any) -> str:
    """A figure with four decimals (four significant digits when very large or small); ``-``
    for anything that is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "-"
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.4g}"
    return f"{value:.4f}"


def _commit(row: RunRow) -> str:
    return (row.git_commit or "unknown")[:12] + ("-dirty" if row.git_dirty else "")


def _utc(when: _dt.datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M")


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


def _gate_verdict(row: RunRow, metric: str) -> _Verdict:
    state = row.status or "unknown"
    shown = metric if metric in row.metrics else next(
        (m for m in row.metrics if not m.startswith(("baseline_", "change_", "p_"))), None)
    figure = ""
    if shown is not None:
        figure = f"{shown} {_num(row.metrics.get(shown))}"
        if row.metrics.get(f"baseline_{shown}") is not None:
            figure += f" vs baseline {_num(row.metrics[f'baseline_{shown}'])}"
        if row.metrics.get(f"p_{shown}") is not None:
            figure += f" (p={row.metrics[f'p_{shown}']:.2g})"
    css = "ok" if state.lower() == "pass" else "bad" if state.lower() == "fail" else "none"
    return _Verdict(f"gate: {state}", figure, css, _utc(row.created_utc))


def _band_verdict(row: RunRow, document: dict[str, Any] | None) -> _Verdict:
    band = (document or {}).get("band")
    if not isinstance(band, dict) or not band.get("verdict"):
        return _Verdict("no band verdict", f"newest run {row.status or 'unknown'}", "none",
                        _utc(row.created_utc))
    verdict = band["verdict"]
    text = {"pass": "in band", "fail": "out of band"}.get(verdict, str(verdict))
    where = "in" if verdict == "pass" else "not in" if verdict == "fail" else "band"
    figure = (f"{band.get('metric', '?')} {_num(band.get('value'))} {where} "
              f"[{_num(band.get('low'))}, {_num(band.get('high'))}]")
    css = "ok" if verdict == "pass" else "bad" if verdict == "fail" else "none"
    return _Verdict(text, figure, css, _utc(row.created_utc))


# ---------------------------------------------------------------------------------------------
# HTML


_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5em 2em;
       color: #1b1b1b; max-width: 80em; }
h1 { font-size: 1.5em; margin-bottom: .2em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .6em 0; }
th, td { border-bottom: 1px solid #ddd; padding: .25em .7em; text-align: left;
         vertical-align: middle; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #176b2c; font-weight: 600; } .bad { color: #b3261e; font-weight: 600; }
.none, .muted { color: #666; } code { font-size: .95em; }
img.chart { display: block; max-width: 100%; height: auto; border: 1px solid #ddd; }
nav { margin: .5em 0 1em; }
"""


def _page(title: str, body: str) -> str:
    # the empty data: icon keeps the browser from asking for a favicon.ico next to the page
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<link rel=\"icon\" href=\"data:,\">\n"
            f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
            f"{body}\n</body>\n</html>\n")


def _href(file: str) -> str:
    return escape(quote(file))


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]],
           numeric: Sequence[int] = (), raw: Sequence[int] = ()) -> str:
    """An HTML table; every cell escaped but those of the ``raw`` columns (already HTML)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    lines = [f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>"]
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            text = str(cell) if i in raw else escape(str(cell))
            cells.append(f"<td class=\"num\">{text}</td>" if i in numeric else f"<td>{text}</td>")
        lines.append(f"<tr>{''.join(cells)}</tr>")
    lines.append("</tbody>\n</table>")
    return "\n".join(lines)


def sparkline(means: Sequence[float], change_at: Sequence[int] = (), title: str = "",
              width: int = 120, height: int = 28) -> str:
    """An inline SVG line of ``means`` (oldest first) scaled to its own range, the last point
    dotted, change points (indices of the first commit at a new level) as dashed lines."""
    pad = 3.0
    n = len(means)
    if n == 0:
        return '<span class="none">-</span>'
    low, high = min(means), max(means)

    def x(i: float) -> float:
        return pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: float) -> float:
        if high == low:
            return height / 2
        return pad + (height - 2 * pad) * (1 - (v - low) / (high - low))

    points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(means))
    marks = "".join(
        f'<line x1="{x(c - 0.5):.1f}" y1="0" x2="{x(c - 0.5):.1f}" y2="{height}" '
        'stroke="#d62728" stroke-width="1" stroke-dasharray="2,2"/>' for c in change_at)
    return (f'<svg class="spark" xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>{marks}'
            f'<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="{points}"/>'
            f'<circle cx="{x(n - 1):.1f}" cy="{y(means[-1]):.1f}" r="2.5" fill="#1f77b4"/>'
            "</svg>")


def _index_html(pages: list[_SpecPage], where: str, generated: str) -> str:
    rows = []
    for page in pages:
        verdict = page.verdict or _Verdict("no verdict", "", "none")
        cell = f'<span class="{verdict.css}">{escape(verdict.text)}</span>'
        if verdict.figure:
            cell += f'<br><span class="muted">{escape(verdict.figure)}</span>'
        if verdict.when:
            cell += f'<br><span class="muted">{escape(verdict.when)} UTC</span>'
        latest = page.latest
        if page.series:
            main = page.series[0]
            first, last = main.points[0].mean, main.points[-1].mean
            title = (f"{page.metric} per commit, {main.label}: {_num(first)} -> {_num(last)} "
                     f"over {len(main.points)} commit(s)")
            spark = sparkline([p.mean for p in main.points],
                              [c.index for c in main.change_points], title)
        else:
            spark = '<span class="none">no series</span>'
        link = _href(page.file)
        rows.append([
            f'<a href="{link}">{escape(page.name)}</a>', cell, escape(page.metric),
            escape(_num(latest.value if latest else None)), str(len(page.runs)),
            str(page.commits), f'<a href="{link}" title="{escape(page.name)}">{spark}</a>',
            escape(_utc(page.runs[-1].created_utc) if page.runs else "-"),
        ])
    table = _table(["spec", "latest verdict", "metric", "latest", "runs", "commits",
                    "trend (per-commit mean)", "last run (UTC)"], rows,
                   numeric=(3, 4, 5), raw=range(8))
    body = (f"<h1>Results history</h1>\n<p class=\"muted\">{len(pages)} spec(s) from "
            f"<code>{escape(where)}</code>, published {escape(generated)} UTC. The verdict is "
            "the newest gate verdict stored for the spec, else the band verdict of its newest "
            "run.</p>\n" + table)
    return _page("Results history", body)


def _series_html(page: _SpecPage, series: Series, chart: str) -> str:
    from .trend import series_band

    band = series_band(page.spec, series.schedule, page.metric)
    facts = [f"spec hash <code>{escape(str(series.identity[0])[:12])}</code>",
             f"data <code>{escape(str(series.identity[2])[:12])}</code>"]
    if band is not None:
        facts.append(f"band [{escape(_num(band[0]))}, {escape(_num(band[1]))}]")
    if series.baseline_mean is not None:
        facts.append(f"baseline mean {escape(_num(series.baseline_mean))}")
    parts = [f"<h2>{escape(page.metric)}: {escape(series.label)}</h2>",
             f"<p class=\"muted\">{'; '.join(facts)}</p>",
             f'<img class="chart" src="{_href(chart)}" alt="{escape(page.metric)} per commit, '
             f'{escape(series.label)}">']
    if series.change_points:
        items = []
        for c in series.change_points:
            text = (f"at {c.commit}: {c.shift:+.4f} ({_num(c.mean_before)} -> "
                    f"{_num(c.mean_after)}, p={c.p_value:.2g}), comparing {c.before} "
                    f"({c.runs_before} runs) with {c.after} ({c.runs_after} runs)")
            confounders = series.confounders(c)
            items.append(f"<li>{escape(text + (f'; {confounders}' if confounders else ''))}</li>")
        parts.append("<h3>Change points</h3>\n<ul>\n" + "\n".join(items) + "\n</ul>")
    else:
        parts.append("<h3>Change points</h3>\n<p>none found</p>")
    starts = {c.commit: c for c in series.change_points}
    rows = []
    for p in series.points:
        c = starts.get(p.commit)
        rows.append([p.commit + ("-dirty" if p.dirty else ""), p.first_utc, p.runs, _num(p.mean),
                     f"[{_num(p.low)}, {_num(p.high)}]",
                     f"shift {c.shift:+.4f} (p={c.p_value:.2g})" if c else ""])
    parts.append("<h3>Per commit</h3>\n" + _table(
        ["commit", "first run (UTC)", "runs", f"mean {page.metric}", "95% CI", "change point"],
        rows, numeric=(2, 3)))
    return "\n".join(parts)


def _spec_html(page: _SpecPage, generated: str) -> str:
    back = '<nav><a href="index.html">&larr; all specs</a></nav>'
    verdict = page.verdict or _Verdict("no verdict", "", "none")
    summary = f'latest verdict: <span class="{verdict.css}">{escape(verdict.text)}</span>'
    if verdict.figure:
        summary += f" ({escape(verdict.figure)})"
    parts = [back, f"<h1>{escape(page.name)}</h1>",
             f"<p>{summary}; {len(page.runs)} run(s) over {page.commits} commit(s)"
             + (f", {page.other} bench row(s)" if page.other else "")
             + f"; published {escape(generated)} UTC</p>"]
    if page.series:
        parts += [_series_html(page, s, chart) for s, chart in zip(page.series, page.charts,
                                                                   strict=True)]
    else:
        parts.append(f"<p>No finished run with <code>{escape(page.metric)}</code>.</p>")
    if page.gates:
        rows = [[_utc(g.created_utc), g.status or "-", _gate_verdict(g, page.metric).figure]
                for g in reversed(page.gates[-LAST_VERDICTS:])]
        parts.append("<h2>Gate verdicts</h2>\n"
                     + _table(["when (UTC)", "state", "figures"], rows))
    if page.runs:
        rows = [[r.run_id, _utc(r.created_utc), _commit(r), r.machine or "-",
                 "-" if r.seed is None else r.seed, r.status or "-", _num(r.value)]
                for r in reversed(page.runs[-LAST_RUNS:])]
        shown = min(LAST_RUNS, len(page.runs))
        parts.append(f"<h2>Last {shown} run(s)</h2>\n" + _table(
            ["run id", "created (UTC)", "commit", "machine", "seed", "status", page.metric],
            rows, numeric=(4, 6)))
    parts.append(back)
    return _page(f"{page.name}: results history", "\n".join(parts))


# ---------------------------------------------------------------------------------------------
# Publishing


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
    from .command import NoHistory
    from .documents import GATE, RUN
    from .trend import build_series, chart, series_band

    names = [s.name for s in store.specs()]
    if not names:
        raise NoHistory(f"the results history at {store.where} holds no runs: run "
                        "`harness history import reports/` first")
    out = Path(out)
    _prepare(out)
    generated = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
    taken = {f"{_INDEX}.html"}
    pages = []
    for name in names:
        rows = store.runs(name)
        runs = [r for r in rows if r.kind == RUN]
        gates = [r for r in rows if r.kind == GATE]
        spec = _load_spec(specs_dir, name)
        newest = store.document(runs[-1].run_id) if runs else None
        chosen = _metric_of(metric, spec, newest)
        runs = [dataclasses.replace(r, value=r.metrics.get(chosen)) for r in runs]
        page = _SpecPage(name, _unique(_slug(name), taken, ".html"), chosen, spec, runs, gates,
                         len(rows) - len(runs) - len(gates))
        stem = page.file[: -len(".html")]
        page.series = build_series(name, chosen, runs)
        for series in page.series:
            png = _unique(f"{stem}.{_slug(chosen)}-{_slug(series.schedule or 'unknown')}-"
                          f"{series.epochs or 0}", taken, ".png")
            try:
                chart(series, out / png, series_band(spec, series.schedule, chosen))
            except HarnessError as exc:  # write_text_atomic's ResultsError
                raise PublishError(" ".join(str(exc).split())) from None
            page.charts.append(png)
        if gates:
            page.verdict = _gate_verdict(gates[-1], chosen)
        elif runs:
            page.verdict = _band_verdict(runs[-1], newest)
        elif page.other:
            page.verdict = _Verdict("no verdict", f"{page.other} bench row(s), no runs", "none")
        _write(out / page.file, _spec_html(page, generated))
        pages.append(page)
    index = out / f"{_INDEX}.html"
    _write(index, _index_html(pages, store.where, generated))
    return index


__all__ = ["DEFAULT_OUT", "PublishError", "add_parser", "cmd_publish", "publish", "sparkline"]
