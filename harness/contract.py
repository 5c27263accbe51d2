"""The data contract: check encoded data against the spec before any training.

Checks (each a small function returning a problem or None, all run before deciding):
- every token index < the Embedding's input_dim: TensorFlow on a GPU silently returns zeros for
  an out-of-range index, so here it is an error naming the index and the layer;
- padding on the declared side (the book pads at the front; an LSTM fed back-padded sequences
  without a mask learns next to nothing on this task), and with ``truncating: post`` every review
  keeps its start index;
- shapes: (samples, maxlen) for sequences, (samples, num_words) for multi-hot, as the spec's
  ``data.expect`` says for the full data set (25,000 x 500 for the book's setup);
- labels in {0, 1}, and balanced (the IMDB splits are 12,500 positive / 12,500 negative).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    from .data import ImdbData
    from .spec import Spec

# A check returns None when the data passes, NOT_APPLICABLE when it does not apply to this spec
# (no Embedding, multi-hot input), else the problem.
NOT_APPLICABLE = "not applicable"
# A slice of the shuffled reviews is balanced only roughly (the first 200 of the training split
# are 57.5% positive), the full splits exactly. Allowed: 5 points, or 4 standard errors of a
# fair sample of n labels (0.5 / sqrt(n)) when that is wider, so that no fair slice fails.
BALANCE_TOLERANCE = 0.05
BALANCE_STANDARD_ERRORS = 4.0


def balance_tolerance(n: int) -> float:
    """How far from 50% positive ``n`` labels may be (a share, 0.05 and up)."""
    return max(BALANCE_TOLERANCE, BALANCE_STANDARD_ERRORS * 0.5 / float(np.sqrt(n)))

Check = Callable[["Spec", "ImdbData"], "str | None"]


def _splits(data: ImdbData):
    return (("x_train", data.x_train, data.y_train), ("x_test", data.x_test, data.y_test))


def token_range(spec: Spec, data: ImdbData) -> str | None:
    first = spec.model.layers[0]
    if first.type != "Embedding" or data.info.get("representation") != "sequences":
        return NOT_APPLICABLE
    for name, x, _ in _splits(data):
        if x.size and int(x.max()) >= first.input_dim:
            top = int(x.max())
            row = int(np.argwhere(x == top)[0][0])
            return (f"{name}[{row}] holds token index {top} >= model.layers[0] (Embedding) "
                    f"input_dim {first.input_dim}; set data.num_words <= input_dim")
        if x.size and int(x.min()) < 0:
            return f"{name} holds a negative token index {int(x.min())}"
    return None


def padding_side(spec: Spec, data: ImdbData) -> str | None:
    if data.info.get("representation") != "sequences":
        return NOT_APPLICABLE
    side = spec.data.padding
    for name, x, _ in _splits(data):
        if x.shape[1] < 2:
            continue
        if side == "pre":
            # Front padding: no padding index (0) may follow a word.
            bad = np.flatnonzero(((x[:, 1:] == 0) & (x[:, :-1] != 0)).any(axis=1))
        else:
            bad = np.flatnonzero(((x[:, 1:] != 0) & (x[:, :-1] == 0)).any(axis=1))
        if bad.size:
            return (f"{name}[{int(bad[0])}] is not padded at the "
                    f"{'front' if side == 'pre' else 'back'} as data.padding: {side} declares "
                    f"({bad.size} rows differ)")
    if spec.data.truncating == "post":
        for name, x, _ in _splits(data):
            first_word = x[np.arange(len(x)), (x != 0).argmax(axis=1)]
            lost = np.flatnonzero(first_word != 1)
            if lost.size:
                return (f"{name}[{int(lost[0])}] does not begin with the start index 1, though "
                        "data.truncating: post keeps the beginning of every review")
    return None


def shapes(spec: Spec, data: ImdbData) -> str | None:
    width = spec.data.num_words if spec.data.representation == "multi_hot" else spec.data.maxlen
    expect = spec.data.expect
    sliced = data.info.get("sliced", False)
    for name, x, y in _splits(data):
        if x.ndim != 2 or (width is not None and x.shape[1] != width):
            return f"{name} has shape {x.shape}, expected (samples, {width})"
        if len(x) != len(y):
            return f"{name} has {len(x)} rows but {len(y)} labels"
        want = None if expect is None else getattr(expect, f"{name}_shape")
        if want is not None and not sliced and list(x.shape) != list(want):
            return f"{name} has shape {x.shape}, data.expect.{name}_shape says {tuple(want)}"
    return None


def labels(spec: Spec, data: ImdbData) -> str | None:
    for name, _, y in _splits(data):
        values = set(np.unique(y).tolist())
        if not values <= {0.0, 1.0}:
            return f"labels of {name} must be 0 or 1, got {sorted(values)[:5]}"
        if len(y) < 100:  # too few to tell a lean from chance
            continue
        tolerance = balance_tolerance(len(y))
        if abs(float(y.mean()) - 0.5) > tolerance:
            return (f"labels of {name} are unbalanced: {float(y.mean()):.1%} positive "
                    f"(expected 50% +/- {tolerance:.1%} for {len(y):,} labels)")
    return None


CHECKS: dict[str, Check] = {
    "token indices < Embedding input_dim": token_range,
    "padding side": padding_side,
    "shapes": shapes,
    "labels in {0, 1} and balanced": labels,
}


def check_data(spec: Spec, data: ImdbData) -> list[dict]:
    """Run every check and raise if any fails.

    Returns:
        One ``{"check": name, "ok": True, "problem": None | "not applicable"}`` row per check
        (for the results and the report).

    Raises:
        DataError: ``<spec path>: data contract: <problem>; <problem>`` listing every failure.
    """
    problems = []
    rows = []
    for name, check in CHECKS.items():
        problem = check(spec, data)
        ok = problem is None or problem == NOT_APPLICABLE
        rows.append({"check": name, "ok": ok, "problem": problem})
        if not ok:
            problems.append(problem)
    if problems:
        raise DataError(f"{spec.path}: data contract: " + "; ".join(problems))
    return rows
