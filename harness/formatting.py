"""Markdown cells and tables: the one way every report writes a figure into a table.

:func:`cell` turns a value into the text of one cell ("-" when it was not recorded), and
:func:`markdown_table` lays rows out with ``tabulate(tablefmt="github")``, every cell cleaned so
that a ``|`` or a newline in a value cannot break the table. The run report
(:mod:`harness.report`), the bench report (:mod:`harness.bench.report`) and the gate's verdict
use these two. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# A figure without a format of its own: accuracy and loss are read to 4 decimals.
FIGURE_FORMAT = "{:.4f}"


def cell(value: object, fmt: str | None = None, *, finite: bool = False) -> str:
    """The text of one table cell.

    Args:
        value: None (not recorded) is ``-``; a float goes through the format; an int goes
            through ``fmt`` when one is given, else it is a count and shown whole (an epoch, a
            number of runs); anything else (a bool, a string) is its text with ``|`` escaped
            and newlines turned into spaces.
        fmt: a ``str.format`` pattern for a number: ``"{:.1f}"`` (seconds), ``"{:+.4f}"``
            (a signed change); without it a float is shown to 4 decimals.
        finite: a NaN or an infinite float is ``-`` too (not a figure anyone can compare),
            instead of ``nan`` or ``inf``.

    Examples:
        ``cell(0.85)`` is ``"0.8500"``, ``cell(None)`` is ``"-"``, ``cell(3)`` is ``"3"``,
        ``cell(3, "{:.2f}")`` is ``"3.00"``, ``cell("a | b")`` is ``"a \\| b"``.
    """
    if value is None:
        return "-"
    if isinstance(value, float) and finite and not math.isfinite(value):
        return "-"
    if isinstance(value, float) or (fmt is not None and isinstance(value, int)
                                    and not isinstance(value, bool)):
        return (fmt or FIGURE_FORMAT).format(value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: Sequence[Sequence[object]], headers: Sequence[str]) -> str:
    """A GitHub Markdown table: every value through :func:`cell` (floats to 4 decimals, "-"
    for None; format a figure with :func:`cell` first to show it otherwise); numbers are
    not re-parsed, so ``0.8500`` stays ``0.8500``. Units go in the headers
    (``epoch time (s)``)."""
    from tabulate import tabulate

    cleaned = [[cell(v) for v in row] for row in rows]
    return tabulate(cleaned, headers=list(headers), tablefmt="github", disable_numparse=True)


__all__ = ["FIGURE_FORMAT", "cell", "markdown_table"]
