"""The verdict's figures as text: a metric's value to its precision (epoch time to 0.1 s,
accuracy to 4 decimals), a mean with its spread, a confidence interval; "-" for what is missing
or not finite. Cells go through :func:`harness.formatting.cell`."""

from __future__ import annotations

from ..formatting import cell
from ..stats import Summary


def figure_format(metric: str, signed: bool = False) -> str:
    """The ``str.format`` pattern of a metric: ``{:.1f}`` for the epoch time (s), ``{:.4f}``
    for accuracy; with a sign for a change (``signed``)."""
    digits = 1 if metric == "epoch_time_s" else 4
    return f"{{:{'+' if signed else ''}.{digits}f}}"


def figure_cell(metric: str, value: float | None, signed: bool = False) -> str:
    """``value`` of ``metric`` as the verdict shows it (``0.8512``, ``+0.0123``, ``12.3``);
    ``-`` for None, NaN or infinity."""
    return cell(value, figure_format(metric, signed), finite=True)


def mean_std_cell(metric: str, s: Summary | None) -> str:
    """``mean ± std (runs)``, or ``mean (1 run)``; ``-`` without a summary."""
    if s is None:
        return "-"
    if s.std is None:
        return f"{figure_cell(metric, s.mean)} (1 run)"
    return f"{figure_cell(metric, s.mean)} ± {figure_cell(metric, s.std)} ({s.n})"


def ci_cell(metric: str, s: Summary | None) -> str:
    """The 95% confidence interval of the mean, ``[low, high]``; ``-`` without one."""
    if s is None or s.ci_low is None:
        return "-"
    return f"[{figure_cell(metric, s.ci_low)}, {figure_cell(metric, s.ci_high)}]"


__all__ = ["ci_cell", "figure_cell", "figure_format", "mean_std_cell"]
