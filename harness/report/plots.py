"""The figures of a run's report, drawn as the notebooks draw them: one PNG per metric
(training and validation loss; accuracy when it is recorded; any other metric such as mae),
training as dots and validation as a line, the book's curves in grey beside this run's.

matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

import io
import re

from ..result_types import RunLike, RunResult, as_run

ACCURACY_PNG = "accuracy.png"
LOSS_PNG = "loss.png"


def plotted_metrics(results: RunLike) -> list[str]:
    """The metrics drawn, one PNG each: ``acc`` when accuracy is recorded, ``loss``, then every
    other recorded metric (``mae``), training and validation in one figure."""
    from ..figures import history_of

    names = [k[4:] if k.startswith("val_") else k for k, v in history_of(results).items() if v]
    if not names:
        return []
    return list(dict.fromkeys([*(["acc"] if "acc" in names else []), "loss", *names]))


def png_name(metric: str) -> str:
    """``accuracy.png``, ``loss.png``, ``mae.png``: the file of one metric's figure."""
    if metric == "acc":
        return ACCURACY_PNG
    if metric == "loss":
        return LOSS_PNG
    return re.sub(r"[^\w.-]", "_", metric) + ".png"


def _book_history(results: RunResult) -> dict[str, list[float]]:
    return (results.reference.history if results.reference is not None else None) or {}


def plot_title(results: RunResult, metric: str) -> str:
    """``Training and validation accuracy``; ``Training loss`` for a run without validation
    (the figure's title, and the report's caption of its PNG)."""
    word = "accuracy" if metric == "acc" else metric
    hist = results.history
    ref = _book_history(results)
    # A run without validation_split (the dense baseline) has no validation curve to name.
    has_val = bool(hist.get(f"val_{metric}") or ref.get(f"val_{metric}"))
    return f"Training and validation {word}" if has_val else f"Training {word}"


def plot_history(results: RunLike, metric: str) -> bytes:
    """One metric's figure as PNG bytes, as the notebooks draw it: training as dots, validation
    as a line, the book's in grey; ``metric`` is a history key (``acc``, ``loss``, ``mae``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    results = as_run(results)
    hist = results.history
    ref = _book_history(results)
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    for source, h, colour in (("book", ref, "0.55"), ("this run", hist, "tab:blue")):
        train, val = h.get(metric) or [], h.get(f"val_{metric}") or []
        if train:
            ax.plot(range(1, len(train) + 1), train, "o", color=colour,
                    label=f"Training {metric} ({source})")
        if val:
            ax.plot(range(1, len(val) + 1), val, "-", color=colour,
                    label=f"Validation {metric} ({source})")
    ax.set_title(plot_title(results, metric))
    locator = ax.xaxis.get_major_locator()
    if isinstance(locator, MaxNLocator):  # the default AutoLocator is one
        locator.set_params(integer=True)  # epochs are whole numbers
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


__all__ = ["ACCURACY_PNG", "LOSS_PNG", "plot_history", "plot_title", "plotted_metrics",
           "png_name"]
