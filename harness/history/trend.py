"""A metric's history per commit: the seed mean and its 95% confidence interval, the change
points among them, as a table, a JSON document and a PNG chart.

Runs are only put on one line when their accuracy figures are comparable (the same spec hash,
schedule and data checksum, :func:`harness.comparable.identity`): a full run and a CI-schedule run
of one spec are two series. Within a series the commits are ordered by their first run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .changepoint import ChangePoint, CommitSample, detect
from .rows import RunRow

BASELINE_FOLDER = "baseline"  # runs imported from reports/baseline/<spec>/runs/


@dataclass(frozen=True)
class CommitPoint:
    """One commit of a series.

    Attributes:
        commit: the git commit (12 characters) the runs were recorded at; ``dirty`` when any of
            them ran on uncommitted changes.
        first_utc: ISO time of the commit's first run.
        runs: how many runs (seeds); ``mean`` their mean and ``low``/``high`` its 95% confidence
            interval (Student's t; equal to the mean for one run).
    """

    commit: str
    dirty: bool
    first_utc: str
    runs: int
    mean: float
    low: float
    high: float
    values: tuple[float, ...]


@dataclass
class Series:
    """The comparable runs of one spec and metric: one point per commit.

    Attributes:
        schedule: the schedule's name (``ci``, ``spec``, ``custom``) and ``epochs``.
        identity: spec hash, schedule key and data checksum shared by the runs.
        baseline_mean: the mean of the runs imported from a ``reports/baseline/`` folder, when
            there are any in the series.
    """

    spec: str
    metric: str
    schedule: str | None
    epochs: int | None
    identity: tuple[str | None, str | None, str | None]
    points: list[CommitPoint] = field(default_factory=list)
    change_points: list[ChangePoint] = field(default_factory=list)
    baseline_mean: float | None = None
    machines: dict[str, dict[str, int]] = field(default_factory=dict)  # commit -> machine -> runs

    def machines_between(self, start: int, stop: int) -> dict[str, int]:
        """Runs per machine kind over the commits ``points[start:stop]``."""
        counts: dict[str, int] = {}
        for p in self.points[start:stop]:
            for machine, n in self.machines.get(p.commit, {}).items():
                counts[machine] = counts.get(machine, 0) + n
        return counts

    def confounders(self, change: ChangePoint) -> str | None:
        """How the machines differ across a change point (a shift that may be the machine's
        rather than the code's), or None when both sides ran on the same kinds."""
        bounds = [0, *(c.index for c in self.change_points), len(self.points)]
        i = bounds.index(change.index)
        before = self.machines_between(bounds[i - 1], change.index)
        after = self.machines_between(change.index, bounds[i + 1])
        if set(before) == set(after):
            return None

        def show(counts: dict[str, int]) -> str:
            return ", ".join(f"{m} ({n})" for m, n in sorted(counts.items()))

        return f"machines differ: before {show(before)}; after {show(after)}"

    @property
    def label(self) -> str:
        epochs = f", {self.epochs} epochs" if self.epochs else ""
        return f"{self.schedule or 'unknown'} schedule{epochs}"

    def document(self) -> dict[str, Any]:
        """The series for ``--json``."""
        return {"spec": self.spec, "metric": self.metric, "schedule": self.schedule,
                "epochs": self.epochs, "spec_hash": self.identity[0],
                "data_checksum": self.identity[2], "baseline_mean": self.baseline_mean,
                "commits": [{**asdict(p), "values": list(p.values)} for p in self.points],
                "change_points": [
                    {**asdict(c), "shift": c.shift, "confounders": self.confounders(c)}
                    for c in self.change_points]}


def confidence_interval(values: Sequence[float]) -> tuple[float, float]:
    """The 95% Student-t interval of the mean (:func:`harness.stats.summarize`); the mean
    itself for one value."""
    from ..stats import summarize

    summary = summarize(values)
    assert summary is not None, "a commit point has at least one value"
    if summary.ci_low is None or summary.ci_high is None:
        return summary.mean, summary.mean
    return summary.ci_low, summary.ci_high


def is_baseline(row: RunRow) -> bool:
    """Whether the run was imported from a ``baseline`` folder (``reports/baseline/...``)."""
    return BASELINE_FOLDER in Path(row.source_path or "").parts


def build_series(spec: str, metric: str, rows: Sequence[RunRow]) -> list[Series]:
    """Group finished runs with a value of ``metric`` into comparable series, most runs first."""
    groups: dict[tuple, list[RunRow]] = {}
    for row in rows:
        if row.value is None or row.status not in (None, "complete"):
            continue
        groups.setdefault(row.identity, []).append(row)
    out = []
    for identity, members in groups.items():
        members.sort(key=lambda r: r.created_utc)
        by_commit: dict[str, list[RunRow]] = {}
        for row in members:
            by_commit.setdefault((row.git_commit or "unknown")[:12], []).append(row)
        series = Series(spec, metric, members[0].schedule, members[0].epochs, identity)
        for commit, runs in by_commit.items():
            for r in runs:
                kinds = series.machines.setdefault(commit, {})
                kinds[r.machine or "unknown"] = kinds.get(r.machine or "unknown", 0) + 1
            values = tuple(float(r.value) for r in runs if r.value is not None)
            low, high = confidence_interval(values)
            series.points.append(CommitPoint(
                commit, any(bool(r.git_dirty) for r in runs),
                runs[0].created_utc.strftime("%Y-%m-%dT%H:%M:%SZ"), len(values),
                sum(values) / len(values), low, high, values))
        baseline = [float(r.value) for r in members if is_baseline(r) and r.value is not None]
        series.baseline_mean = sum(baseline) / len(baseline) if baseline else None
        series.change_points = detect([CommitSample(p.commit, p.values) for p in series.points])
        out.append(series)
    out.sort(key=lambda s: -sum(p.runs for p in s.points))
    return out


def series_band(spec: Any, schedule: str | None, metric: str) -> tuple[float, float] | None:
    """The band a series is held to: the spec's ``ci.band`` for the CI schedule, else its
    ``band``; None when there is no spec file or its band is on another metric."""
    if spec is None:
        return None
    band = spec.ci.band if schedule == "ci" and spec.ci is not None else spec.band
    return (band.low, band.high) if band is not None and band.metric == metric else None


def table(series: Series) -> str:
    """The per-commit Markdown table of a series, a change point marked on its first commit."""
    from tabulate import tabulate

    starts = {c.commit: c for c in series.change_points}
    rows = []
    for p in series.points:
        mark = ""
        if p.commit in starts:
            c = starts[p.commit]
            mark = f"shift {c.shift:+.4f} (p={c.p_value:.2g}; {c.before} vs {c.after})"
        rows.append([p.commit + ("-dirty" if p.dirty else ""), p.first_utc, p.runs,
                     f"{p.mean:.4f}", f"[{p.low:.4f}, {p.high:.4f}]", mark])
    return tabulate(rows, headers=["commit", "first run (UTC)", "runs",
                                   f"mean {series.metric}", "95% CI", "change point"],
                    tablefmt="github", disable_numparse=True)


def chart(series: Series, path: str | Path, band: tuple[float, float] | None = None) -> Path:
    """A PNG of the series: the mean per commit with its 95% interval, the band shaded, the
    baseline mean dashed, change points as vertical lines. Linear axes.

    Returns:
        The path written (atomically).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..results import write_text_atomic

    xs = list(range(len(series.points)))
    means = [p.mean for p in series.points]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.5 * len(xs) + 3), 4))
    ax.errorbar(xs, means, yerr=[[p.mean - p.low for p in series.points],
                                 [p.high - p.mean for p in series.points]],
                fmt="o-", capsize=3, label=f"mean {series.metric} (95% CI)")
    if band:
        ax.axhspan(band[0], band[1], color="tab:green", alpha=0.12, label="band")
    if series.baseline_mean is not None:
        ax.axhline(series.baseline_mean, color="tab:gray", linestyle="--", label="baseline mean")
    for c in series.change_points:
        ax.axvline(c.index - 0.5, color="tab:red", linestyle=":",
                   label=f"change point ({c.shift:+.3f})")
    ax.set_xticks(xs, [p.commit[:7] for p in series.points], rotation=45, ha="right")
    ax.set_xlabel("commit (oldest first)")
    ax.set_ylabel(series.metric)
    ax.set_title(f"{series.spec}: {series.metric}, {series.label}")
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return write_text_atomic(path, buffer.getvalue())
