"""The data contract: check the data against the spec before any training.

Checks (each a small function returning a problem, None, or ``not applicable`` where it does not
apply to the spec's data source; all run before deciding):
- every token index < the Embedding's input_dim (word-index sources, an arrays file of integers
  into an Embedding): TensorFlow on a GPU silently returns zeros for an out-of-range index, so
  here it is an error naming the index and the layer;
- padding on the declared side (imdb, imdb_text: the book pads at the front; an LSTM fed
  back-padded sequences without a mask learns next to nothing on this task), and for imdb with
  ``truncating: post`` every review keeps its start index;
- shapes: (samples, maxlen) for sequences, (samples, num_words) for multi-hot, the model input's
  shape for arrays and timeseries windows, and ``data.expect``'s full-data shapes;
- labels in {0, 1}, and balanced (the IMDB splits are 12,500 positive / 12,500 negative);
- finite values (the Jena CSV, an arrays file of floats; a column constant over the training rows
  cannot be normalized);
- the expected columns (the Jena climate layout, the target column);
- row ranges inside the file (Jena: every window and its target, at least one batch to validate
  and test on).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .errors import DataError
from .spec import ImdbDataSpec, ImdbTextDataSpec, JenaDataSpec, Spec

if TYPE_CHECKING:  # pragma: no cover
    from .data import Dataset
    from .data.timeseries import Windows

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

Check = Callable[["Spec", "Dataset"], "str | None"]
# Sources whose x holds word indices, padded by pad_sequences.
WORD_SOURCES = ("imdb", "imdb_text")


def _splits(data: Dataset):
    """``(name, x, y)`` of every array split (none for a generator source)."""
    if data.generator:
        return ()
    out = [("x_train", data.x_train, data.y_train)]
    if data.x_val is not None:
        out.append(("x_val", data.x_val, data.y_val))
    return (*out, ("x_test", data.x_test, data.y_test))


def _sequences(data: Dataset) -> bool:
    """Whether x holds padded word indices (not multi-hot, not floats, not windows)."""
    return data.dataset in WORD_SOURCES and data.info.get("representation",
                                                           "sequences") == "sequences"


def token_range(spec: Spec, data: Dataset) -> str | None:
    layers = spec.model.layers
    first = layers[0] if layers else None
    if first is None or first.type != "Embedding":
        return NOT_APPLICABLE
    integers = data.dataset == "arrays" and data.x_train is not None \
        and np.issubdtype(data.x_train.dtype, np.integer)
    if not (_sequences(data) or integers):
        return NOT_APPLICABLE
    input_dim = first.arg("input_dim")
    remedy = ("set data.num_words <= input_dim" if data.dataset in WORD_SOURCES
              else f"the arrays of {data.source} must hold indices < input_dim")
    for name, x, _ in _splits(data):
        if x.size and int(x.max()) >= input_dim:
            top = int(x.max())
            row = int(np.argwhere(x == top)[0][0])
            return (f"{name}[{row}] holds token index {top} >= model.layers[0] (Embedding) "
                    f"input_dim {input_dim}; {remedy}")
        if x.size and int(x.min()) < 0:
            return f"{name} holds a negative token index {int(x.min())}"
    return None


def padding_side(spec: Spec, data: Dataset) -> str | None:
    data_spec = spec.data
    if not _sequences(data) or not isinstance(data_spec, (ImdbDataSpec, ImdbTextDataSpec)):
        return NOT_APPLICABLE
    side = data_spec.padding
    for name, x, _ in _splits(data):
        if x.ndim != 2 or x.shape[1] < 2:
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
    # keras.datasets.imdb conventions: every review starts with the start index 1 (last when
    # reversed); notebook 6.1's tokenizer has no start index.
    if isinstance(data_spec, ImdbDataSpec) and data.dataset == "imdb" \
            and data_spec.truncating == "post" and not data_spec.reverse:
        for name, x, _ in _splits(data):
            if x.ndim != 2 or not x.size:
                continue
            first_word = x[np.arange(len(x)), (x != 0).argmax(axis=1)]
            lost = np.flatnonzero(first_word != 1)
            if lost.size:
                return (f"{name}[{int(lost[0])}] does not begin with the start index 1, though "
                        "data.truncating: post keeps the beginning of every review")
    return None


def _input_shape(spec: Spec) -> list[int | None] | None:
    """The model input's shape without the batch dimension (None: a factory model)."""
    return None if spec.model.input is None else list(spec.model.input.shape)


def _fits(shape: tuple[int, ...], want: list[int | None]) -> bool:
    return len(shape) == len(want) and all(w is None or w == s for s, w in
                                           zip(shape, want, strict=True))


def shapes(spec: Spec, data: Dataset) -> str | None:
    data_spec = spec.data
    expect = None if data_spec is None else data_spec.expect
    sliced = data.info.get("sliced", False)
    windows = data.windows
    if windows is not None:  # a generator source
        if isinstance(data_spec, JenaDataSpec) and data.dataset == "jena_climate" \
                and data_spec.lookback % data_spec.step:
            return (f"data.lookback {data_spec.lookback} is not a multiple of data.step "
                    f"{data_spec.step}: windows would not hold lookback // step timesteps")
        sample = tuple(windows.shape("train")[1:])
        want = _input_shape(spec)
        if want is not None and not _fits(sample, want):
            return (f"windows are {sample} (timesteps, features), model.input.shape is "
                    f"{want}")
        for name in ("x_train", "x_test"):
            declared = None if expect is None else getattr(expect, f"{name}_shape")
            have = data.x_train_shape if name == "x_train" else data.x_test_shape
            if declared is not None and list(have) != list(declared):
                return (f"{name} has shape {tuple(have)} (windows, timesteps, features), "
                        f"data.expect.{name}_shape says {tuple(declared)}")
        return None
    if data.dataset in WORD_SOURCES:
        if not isinstance(data_spec, (ImdbDataSpec, ImdbTextDataSpec)):
            raise TypeError(f"{spec.path}: word-index data ({data.dataset}) from a spec whose "
                            f"data section is {type(data_spec).__name__}")
        multi_hot = data.info.get("representation") == "multi_hot"
        width = data_spec.num_words if multi_hot else data_spec.maxlen
        want = None if width is None else [width]
    else:
        want = _input_shape(spec)
    for name, x, y in _splits(data):
        if data.dataset in WORD_SOURCES and x.ndim != 2:
            return f"{name} has shape {x.shape}, expected (samples, {width})"
        if want is not None and not _fits(x.shape[1:], want):
            shown = ", ".join("None" if w is None else str(w) for w in want)
            return f"{name} has shape {x.shape}, expected (samples, {shown})"
        if y is None or len(x) != len(y):
            return f"{name} has {len(x)} rows but {0 if y is None else len(y)} labels"
        declared = None if expect is None or name == "x_val" else \
            getattr(expect, f"{name}_shape")
        if declared is not None and not sliced and list(x.shape) != list(declared):
            return f"{name} has shape {x.shape}, data.expect.{name}_shape says {tuple(declared)}"
    return None


def labels(spec: Spec | None, data: Dataset) -> str | None:
    if data.dataset not in WORD_SOURCES:
        return NOT_APPLICABLE
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


def _jena_windows(data: Dataset) -> Windows | None:
    """The windows of a ``jena_climate`` source (its CSV's columns and values), else None."""
    from .data.timeseries import Windows

    if data.dataset != "jena_climate" or not isinstance(data.windows, Windows):
        return None
    return data.windows


def finite_values(spec: Spec, data: Dataset) -> str | None:
    w = _jena_windows(data)
    if w is not None:
        if w.nonfinite is not None:
            line, column, value = w.nonfinite
            return (f'{w.file} line {line}, column "{column}": {value} is not a finite number')
        if w.constant:
            return (f"{w.file}: column {', '.join(repr(c) for c in w.constant)} is constant over "
                    "data.train_rows (std 0), it cannot be normalized")
        return None
    if data.dataset != "arrays":
        return NOT_APPLICABLE
    for name, x, y in _splits(data):
        for label, a in ((name, x), (f"y{name[1:]}", y)):
            if np.issubdtype(a.dtype, np.floating) and not np.isfinite(a).all():
                bad = np.argwhere(~np.isfinite(a))[0]
                return (f"{label}[{int(bad[0])}] holds {a[tuple(bad)]} in {data.source}; every "
                        "value must be a finite number")
    return None


def columns(spec: Spec, data: Dataset) -> str | None:
    w = _jena_windows(data)
    if w is None:
        return NOT_APPLICABLE
    from .data.timeseries import JENA_COLUMNS

    have, want = list(w.columns), list(JENA_COLUMNS)
    target = (None if w.target is not None else
              f"{w.file} line 1: no column {w.target_name!r} to predict (data.target)")
    if have == want:
        return target
    missing = [c for c in want if c not in have]
    extra = [c for c in have if c not in want]
    parts = []
    if missing:
        parts.append(f"missing {', '.join(repr(c) for c in missing)}")
    if extra:
        parts.append(f"unexpected {', '.join(repr(c) for c in extra)}")
    if not parts:
        parts.append(f"in another order: {', '.join(repr(c) for c in have)}")
    layout = f"{w.file} line 1: columns differ from the Jena climate layout ({'; '.join(parts)})"
    return layout if target is None else f"{layout}; {target}"


def row_ranges(spec: Spec, data: Dataset) -> str | None:
    w = _jena_windows(data)
    if w is None:
        return NOT_APPLICABLE
    batch_size = data.info.get("batch_size") or (spec.train.batch_size if spec.train else None)
    problems = [p for p in w.problems(batch_size)
                if "data.target" not in p and "data.lookback" not in p]
    return "; ".join(problems) or None


CHECKS: dict[str, Check] = {
    "token indices < Embedding input_dim": token_range,
    "padding side": padding_side,
    "shapes": shapes,
    "labels in {0, 1} and balanced": labels,
    "finite values": finite_values,
    "expected columns": columns,
    "row ranges inside the file": row_ranges,
}


def check_data(spec: Spec, data: Dataset) -> list[dict]:
    """Run every check and raise if any fails.

    Returns:
        One ``{"check": name, "ok": True, "problem": None | "not applicable"}`` row per check
        (for the results and the report).

    Raises:
        DataError: ``<spec path>: data contract: <problem>; <problem>`` listing every failure.
    """
    problems: list[str] = []
    rows = []
    for name, check in CHECKS.items():
        problem = check(spec, data)
        ok = problem is None or problem == NOT_APPLICABLE
        rows.append({"check": name, "ok": ok, "problem": problem})
        if problem is not None and not ok:
            problems.append(problem)
    if problems:
        raise DataError(f"{spec.path}: data contract: " + "; ".join(problems))
    return rows
