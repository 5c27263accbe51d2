"""The published site's HTML: the index of every spec, a page per spec, an inline SVG
sparkline. Every value shown is escaped, every style inline, every link relative.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .site import PageVerdict, SpecPage, commit_label, gate_verdict, shown_number, utc_minute

if TYPE_CHECKING:  # pragma: no cover
    from .trend import Series

LAST_RUNS = 20      # runs listed on a spec page, newest first
LAST_VERDICTS = 10  # gate verdicts listed on a spec page, newest first


STYLE = """
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


def page_html(title: str, body: str) -> str:
    # the empty data: icon keeps the browser from asking for a favicon.ico next to the page
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<link rel=\"icon\" href=\"data:,\">\n"
            f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            f"{body}\n</body>\n</html>\n")


def href(file: str) -> str:
    """A relative link to ``file``, quoted and escaped for an attribute."""
    return escape(quote(file))


def table_html(headers: Sequence[str], rows: Sequence[Sequence[Any]],
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


def index_html(pages: list[SpecPage], where: str, generated: str) -> str:
    rows = []
    for page in pages:
        verdict = page.verdict or PageVerdict("no verdict", "", "none")
        cell = f'<span class="{verdict.css}">{escape(verdict.text)}</span>'
        if verdict.figure:
            cell += f'<br><span class="muted">{escape(verdict.figure)}</span>'
        if verdict.when:
            cell += f'<br><span class="muted">{escape(verdict.when)} UTC</span>'
        latest = page.latest
        if page.series:
            main = page.series[0]
            first, last = main.points[0].mean, main.points[-1].mean
            title = (f"{page.metric} per commit, {main.label}: {shown_number(first)} -> "
                     f"{shown_number(last)} over {len(main.points)} commit(s)")
            spark = sparkline([p.mean for p in main.points],
                              [c.index for c in main.change_points], title)
        else:
            spark = '<span class="none">no series</span>'
        link = href(page.file)
        rows.append([
            f'<a href="{link}">{escape(page.name)}</a>', cell, escape(page.metric),
            escape(shown_number(latest.value if latest else None)), str(len(page.runs)),
            str(page.commits), f'<a href="{link}" title="{escape(page.name)}">{spark}</a>',
            escape(utc_minute(page.runs[-1].created_utc) if page.runs else "-"),
        ])
    table = table_html(["spec", "latest verdict", "metric", "latest", "runs", "commits",
                        "trend (per-commit mean)", "last run (UTC)"], rows,
                       numeric=(3, 4, 5), raw=range(8))
    body = (f"<h1>Results history</h1>\n<p class=\"muted\">{len(pages)} spec(s) from "
            f"<code>{escape(where)}</code>, published {escape(generated)} UTC. The verdict is "
            "the newest gate verdict stored for the spec, else the band verdict of its newest "
            "run.</p>\n" + table)
    return page_html("Results history", body)


def series_html(page: SpecPage, series: Series, chart: str) -> str:
    from .trend import series_band

    band = series_band(page.spec, series.schedule, page.metric)
    facts = [f"spec hash <code>{escape(str(series.identity[0])[:12])}</code>",
             f"data <code>{escape(str(series.identity[2])[:12])}</code>"]
    if band is not None:
        facts.append(f"band [{escape(shown_number(band[0]))}, {escape(shown_number(band[1]))}]")
    if series.baseline_mean is not None:
        facts.append(f"baseline mean {escape(shown_number(series.baseline_mean))}")
    parts = [f"<h2>{escape(page.metric)}: {escape(series.label)}</h2>",
             f"<p class=\"muted\">{'; '.join(facts)}</p>",
             f'<img class="chart" src="{href(chart)}" alt="{escape(page.metric)} per commit, '
             f'{escape(series.label)}">']
    if series.change_points:
        items = []
        for c in series.change_points:
            text = (f"at {c.commit}: {c.shift:+.4f} ({shown_number(c.mean_before)} -> "
                    f"{shown_number(c.mean_after)}, p={c.p_value:.2g}), comparing {c.before} "
                    f"({c.runs_before} runs) with {c.after} ({c.runs_after} runs)")
            confounders = series.confounders(c)
            items.append(f"<li>{escape(text + (f'; {confounders}' if confounders else ''))}</li>")
        parts.append("<h3>Change points</h3>\n<ul>\n" + "\n".join(items) + "\n</ul>")
    else:
        parts.append("<h3>Change points</h3>\n<p>none found</p>")
    starts = {c.commit: c for c in series.change_points}
    rows = []
    for p in series.points:
        start = starts.get(p.commit)
        rows.append([p.commit + ("-dirty" if p.dirty else ""), p.first_utc, p.runs,
                     shown_number(p.mean), f"[{shown_number(p.low)}, {shown_number(p.high)}]",
                     f"shift {start.shift:+.4f} (p={start.p_value:.2g})" if start else ""])
    parts.append("<h3>Per commit</h3>\n" + table_html(
        ["commit", "first run (UTC)", "runs", f"mean {page.metric}", "95% CI", "change point"],
        rows, numeric=(2, 3)))
    return "\n".join(parts)


def spec_html(page: SpecPage, generated: str) -> str:
    back = '<nav><a href="index.html">&larr; all specs</a></nav>'
    verdict = page.verdict or PageVerdict("no verdict", "", "none")
    summary = f'latest verdict: <span class="{verdict.css}">{escape(verdict.text)}</span>'
    if verdict.figure:
        summary += f" ({escape(verdict.figure)})"
    parts = [back, f"<h1>{escape(page.name)}</h1>",
             f"<p>{summary}; {len(page.runs)} run(s) over {page.commits} commit(s)"
             + (f", {page.other} bench row(s)" if page.other else "")
             + f"; published {escape(generated)} UTC</p>"]
    if page.series:
        parts += [series_html(page, s, chart) for s, chart in zip(page.series, page.charts,
                                                                   strict=True)]
    else:
        parts.append(f"<p>No finished run with <code>{escape(page.metric)}</code>.</p>")
    if page.gates:
        verdicts = [[utc_minute(g.created_utc), g.status or "-",
                     gate_verdict(g, page.metric).figure]
                    for g in reversed(page.gates[-LAST_VERDICTS:])]
        parts.append("<h2>Gate verdicts</h2>\n"
                     + table_html(["when (UTC)", "state", "figures"], verdicts))
    if page.runs:
        rows: list[list[str | int]] = [
            [r.run_id, utc_minute(r.created_utc), commit_label(r), r.machine or "-",
             "-" if r.seed is None else r.seed, r.status or "-", shown_number(r.value)]
            for r in reversed(page.runs[-LAST_RUNS:])]
        shown = min(LAST_RUNS, len(page.runs))
        parts.append(f"<h2>Last {shown} run(s)</h2>\n" + table_html(
            ["run id", "created (UTC)", "commit", "machine", "seed", "status", page.metric],
            rows, numeric=(4, 6)))
    parts.append(back)
    return page_html(f"{page.name}: results history", "\n".join(parts))


__all__ = ["LAST_RUNS", "LAST_VERDICTS", "STYLE", "href", "index_html", "page_html", "series_html",
           "spec_html", "sparkline", "table_html"]
