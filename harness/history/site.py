"""What a page of the published site shows: a spec's runs, series and charts
(:class:`SpecPage`), its latest verdict (:class:`PageVerdict`: the newest gate verdict, else the
band verdict of its newest run), and the few ways the site writes numbers, commits and times.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .rows import RunRow
    from .trend import Series


@dataclass
class PageVerdict:
    """The latest verdict of a spec as the index shows it."""

    text: str        # "gate: pass", "in band", "out of band", "no verdict"
    figure: str      # the figure behind it, "" when none
    css: str         # ok, bad or none
    when: str = ""   # UTC date of the verdict


@dataclass
class SpecPage:
    """One spec's page: its rows in the store, its comparable series and their charts, and the
    verdict the index shows."""

    name: str
    file: str                      # <slug>.html
    metric: str
    spec: Any                      # the parsed spec, None when specs/<name>.yaml is absent
    runs: list[RunRow]             # kind run, oldest first, each with ``value`` = the metric
    gates: list[RunRow]            # kind gate, oldest first
    other: int                     # rows of other kinds (bench)
    series: list[Series] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)  # PNG file per series
    verdict: PageVerdict | None = None

    @property
    def commits(self) -> int:
        return len({(r.git_commit or "unknown")[:12] for r in self.runs})

    @property
    def latest(self) -> RunRow | None:
        """The newest finished run with a value of the metric (what the series plot)."""
        valued = [r for r in self.runs if r.value is not None and r.status in (None, "complete")]
        return valued[-1] if valued else None


def slug(text: str) -> str:
    """``text`` as a file name: runs of other characters than ``A-Za-z0-9._-`` become ``_``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-") or "x"


def unique_name(stem: str, taken: set[str], suffix: str) -> str:
    """``stem + suffix``, numbered (``stem-2.html``) when a name in ``taken`` differs from it
    only in case; the name is added to ``taken``."""
    name, n = f"{stem}{suffix}", 1
    while name.lower() in taken:
        n += 1
        name = f"{stem}-{n}{suffix}"
    taken.add(name.lower())
    return name


def shown_number(value: Any) -> str:
    """A figure with four decimals (four significant digits when very large or small); ``-``
    for anything that is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "-"
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.4g}"
    return f"{value:.4f}"


def commit_label(row: RunRow) -> str:
    """The run's commit, 12 characters, ``-dirty`` when it ran on uncommitted changes."""
    return (row.git_commit or "unknown")[:12] + ("-dirty" if row.git_dirty else "")


def utc_minute(when: _dt.datetime) -> str:
    """``2026-11-29 16:01``: a UTC time to the minute."""
    return when.strftime("%Y-%m-%d %H:%M")


def gate_verdict(row: RunRow, metric: str) -> PageVerdict:
    """A stored gate verdict's state and its figure for ``metric`` (else its first metric),
    with the baseline's and the p-value."""
    state = row.status or "unknown"
    shown = metric if metric in row.metrics else next(
        (m for m in row.metrics if not m.startswith(("baseline_", "change_", "p_"))), None)
    figure = ""
    if shown is not None:
        figure = f"{shown} {shown_number(row.metrics.get(shown))}"
        if row.metrics.get(f"baseline_{shown}") is not None:
            figure += f" vs baseline {shown_number(row.metrics[f'baseline_{shown}'])}"
        if row.metrics.get(f"p_{shown}") is not None:
            figure += f" (p={row.metrics[f'p_{shown}']:.2g})"
    css = "ok" if state.lower() == "pass" else "bad" if state.lower() == "fail" else "none"
    return PageVerdict(f"gate: {state}", figure, css, utc_minute(row.created_utc))


def band_verdict(row: RunRow, document: dict[str, Any] | None) -> PageVerdict:
    """The band verdict of a run (``document``: its stored document), or ``no band
    verdict``."""
    band = (document or {}).get("band")
    if not isinstance(band, dict) or not band.get("verdict"):
        return PageVerdict("no band verdict", f"newest run {row.status or 'unknown'}", "none",
                           utc_minute(row.created_utc))
    verdict = band["verdict"]
    text = {"pass": "in band", "fail": "out of band"}.get(verdict, str(verdict))
    where = "in" if verdict == "pass" else "not in" if verdict == "fail" else "band"
    figure = (f"{band.get('metric', '?')} {shown_number(band.get('value'))} {where} "
              f"[{shown_number(band.get('low'))}, {shown_number(band.get('high'))}]")
    css = "ok" if verdict == "pass" else "bad" if verdict == "fail" else "none"
    return PageVerdict(text, figure, css, utc_minute(row.created_utc))


__all__ = ["PageVerdict", "SpecPage", "band_verdict", "commit_label", "gate_verdict",
           "shown_number", "slug", "unique_name", "utc_minute"]
