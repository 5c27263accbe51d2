"""Markdown tables of a verification and of a built model (``tabulate``, imported when used)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .rows import Verification, count_weights

if TYPE_CHECKING:  # pragma: no cover
    import keras


def format_shape(shape: Sequence[int | None] | None) -> str:
    """``(None, 32)``, ``(5,)`` as Keras prints a shape; ``-`` for none."""
    if shape is None:
        return "-"
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + (
        ",)" if len(shape) == 1 else ")"
    )


def architecture_table(result: Verification, only_problems: bool = False) -> str:
    """Markdown table: layer, output shape and params, expected beside measured.

    A layer without a closed form says so in the closed-form column; the full table (not
    ``only_problems``) ends with a line naming those layers, and the notes.
    """
    from tabulate import tabulate

    headers = ["layer (type)", "output shape (expected)", "output shape (built)",
               "params (expected)", "params (count_params)", "params (closed form)", "ok"]
    rows = []
    for r in result.rows:
        if only_problems and not r.problems:
            continue
        rows.append([
            f"{r.name} ({r.type})",
            format_shape(r.expected_shape),
            format_shape(r.shape),
            "-" if r.expected_params is None else f"{r.expected_params:,}",
            f"{r.params:,}",
            (r.closed_form_note or "-") if r.closed_form_params is None
            else f"{r.closed_form_params:,}",
            "yes" if not r.problems else "NO: " + ", ".join(r.problems),
        ])
    closed = result.closed_form_totals or {}
    for key, value in result.totals.items():
        want = result.expected_totals.get(key)
        bad = want is not None and (want != value or want != closed.get(key, want))
        if only_problems and not bad:
            continue
        rows.append([key.replace("_", " "), "", "", "-" if want is None else f"{want:,}",
                     f"{value:,}", f"{closed[key]:,}" if key in closed else "",
                     "NO" if bad else "yes"])
    table = tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)
    if only_problems:
        return table
    footer = [*result.notes]
    if result.unchecked:
        footer.append("no closed form (params checked against count_params() and the spec "
                      "only): " + ", ".join(result.unchecked))
    return table + "".join(f"\n\n{line}" for line in footer)


def mismatch_table(result: Verification) -> str:
    """Only the rows that differ, expected vs actual."""
    return architecture_table(result, only_problems=True)


def summary_table(model: keras.Model) -> str:
    """``model.summary()`` as a Markdown table: Layer (type), Output Shape, Param #, totals."""
    from tabulate import tabulate

    rows = [[f"{layer.name} ({type(layer).__name__})", format_shape(tuple(layer.output.shape)),
             f"{layer.count_params():,}"] for layer in model.layers]
    table = tabulate(rows, headers=["Layer (type)", "Output Shape", "Param #"],
                     tablefmt="github", disable_numparse=True)
    trainable = count_weights(model.trainable_weights)
    total = int(model.count_params())
    return (
        f"{table}\n\nTotal params: {total:,}  \nTrainable params: {trainable:,}  \n"
        f"Non-trainable params: {total - trainable:,}"
    )
