"""The bench report's chart: epoch time per spec and series, and the ``xla`` speed-up against
its target, both on linear axes from zero. matplotlib is imported only to draw it."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from ...result_types import BenchLike, BenchResult
from .load import as_bench
from .lookups import data_text, epoch, find, missing_devices, spec_entry, speedup_ratio

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

CHART_PNG = "throughput.png"


def _chart_series(results: BenchResult) -> tuple[list[str], dict[str, list[float]],
                                                   dict[str, list[float]]]:
    """Bar labels, epoch times (s) per series and the xla speed-up per device."""
    comps = results.comparisons
    several = len({c.device for c in comps}) > 1
    labels = [f"{c.spec}" + (f" ({c.device})" if several else "") for c in comps]
    modes = results.settings.modes
    epochs: dict[str, list[float]] = {"plain Keras, default": []}
    epochs.update({f"harness, {m}": [] for m in modes})
    speedups: dict[str, list[float]] = {"harness xla over plain Keras default": []}
    for comp in comps:
        epochs["plain Keras, default"].append(
            comp.plain_median_epoch_time_s.get("default") or 0.0)
        for m in modes:
            epochs[f"harness, {m}"].append(
                epoch(find(results, comp.spec, comp.device, m)) or 0.0)
        speedups["harness xla over plain Keras default"].append(speedup_ratio(comp) or 0.0)
    if results.settings.full_epochs:  # the book's epochs are full epochs too
        epochs["book (published)"] = [
            spec_entry(results, c.spec).reference_seconds_per_epoch or 0.0 for c in comps]
    return labels, epochs, speedups


def chart_figure(results: BenchLike) -> Figure:
    """The matplotlib figure of :func:`bench_chart`: epoch time per spec and series, and the
    xla speed-up against its target; both axes linear from zero."""
    results = as_bench(results)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels, epochs, speedups = _chart_series(results)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6), dpi=100,
                                      gridspec_kw={"width_ratios": [3, 2]})
    x = np.arange(len(labels))
    width = 0.8 / max(len(epochs), 1)
    for i, (label, values) in enumerate(epochs.items()):
        bars = left.bar(x + i * width - 0.4 + width / 2, values, width, label=label)
        left.bar_label(bars, fmt="%.2f", fontsize=6, padding=1)
    left.set_xticks(x, labels, rotation=15, fontsize=8)
    left.set_ylabel("epoch time (s), median")
    left.set_title(f"Epoch time, {data_text(results, short=True)}", fontsize=10)
    if labels:
        left.legend(fontsize=7, loc="upper left")
    top = max([v for values in epochs.values() for v in values] + [0.0])
    left.set_ylim(0, top * 1.25 if top else 1.0)
    left.grid(axis="y", alpha=0.3)

    target = results.settings.speedup_target
    for label, values in speedups.items():
        bars = right.bar(x, values, 0.5, label=label, color="tab:green")
        right.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
    right.axhline(1.0, color="0.4", linewidth=0.8, label="plain Keras default (1x)")
    if target:
        right.axhline(target, color="tab:red", linestyle="--", linewidth=0.8,
                      label=f"target ({target:g}x)")
    right.set_xticks(x, labels, rotation=15, fontsize=8)
    right.set_ylabel("speed-up (x), fastest rounds")
    right.set_title("xla speed-up over the plain Keras script", fontsize=10)
    top = max([v for values in speedups.values() for v in values] + [target or 1.0, 1.0])
    right.set_ylim(0, top * 1.3)  # room above the bars for the legend
    if labels:
        right.legend(fontsize=7, loc="upper left")
    right.grid(axis="y", alpha=0.3)
    missing = missing_devices(results)
    if missing:
        fig.suptitle("; ".join(f"{d.device}: not measured, {d.reason}"
                               for d in missing), fontsize=8)
    fig.tight_layout()
    return fig


def bench_chart(results: BenchLike) -> bytes:
    """PNG of :func:`chart_figure`."""
    import matplotlib.pyplot as plt

    fig = chart_figure(results)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


__all__ = ["CHART_PNG", "bench_chart", "chart_figure"]
