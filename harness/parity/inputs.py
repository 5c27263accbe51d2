"""Inputs to check a model on: seeded random inputs of the spec's shape, or the first test
reviews of the IMDB archive."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import UsageError
from ..verify.kinds import kind
from ..verify.shapes import layer_shapes
from .forward import spec_layers

if TYPE_CHECKING:  # pragma: no cover
    from ..spec import Spec

WORD_TIMESTEPS = 100  # an open timestep axis of word indices
FLOAT_TIMESTEPS = 30  # an open axis of float input (a timeseries), doubled until it fits


def open_length(spec: Spec, start: int) -> int:
    """The length given to the open dims of the spec's input: ``start``, doubled until every
    layer's output has a positive size (a stack of Conv1D and MaxPooling1D shortens it)."""
    assert spec.model.input is not None
    layers = spec_layers(spec)
    length = start
    for _ in range(12):
        shapes = layer_shapes(layers, [length if d is None else d for d in spec.model.input.shape])
        if all(d is None or d > 0 for _, out in shapes if out is not None for d in out):
            return length
        length *= 2
    return start


def random_inputs(spec: Spec, batch_size: int = 4, timesteps: int | None = None,
                  seed: int = 0) -> np.ndarray:
    """Seeded model input of the spec's shape.

    Args:
        timesteps: the length of an open input axis; None: 100 for word indices, else the
            smallest of 30, 60, 120, ... that every layer's output fits (:func:`open_length`).

    Returns:
        (batch_size, timesteps) int32 indices in [0, input_dim) when the first layer is an
        Embedding; else (batch_size, *input shape) float32: 0/1 values for a multi-hot input,
        standard normal otherwise (a timeseries: (batch_size, timesteps, features)).

    Raises:
        UsageError: a factory model.
    """
    first = spec_layers(spec)[0]
    assert spec.model.input is not None
    words = kind(first) == "Embedding"
    if timesteps is None:
        timesteps = open_length(spec, WORD_TIMESTEPS if words else FLOAT_TIMESTEPS)
    rng = np.random.default_rng(seed)
    shape = (batch_size, *(timesteps if d is None else d for d in spec.model.input.shape))
    if words:
        return rng.integers(0, first.arg("input_dim"), size=shape, dtype=np.int32)
    if getattr(spec.data, "representation", None) == "multi_hot":
        return (rng.random(shape) < 0.02).astype(np.float32)
    return rng.standard_normal(shape).astype(np.float32)


REVIEWS_MAXLEN = 500  # the book's pad_sequences(maxlen=500), for specs without a data section


def review_inputs(spec: Spec, path: str, n: int = 4) -> tuple[np.ndarray, str]:
    """The first n encoded test reviews of the Stanford archive or folder, as the spec's input.

    Reviews are the input of IMDB specs only (``dataset: imdb``). A spec without a data section
    (architecture only) whose first layer is an Embedding gets the book's encoding: num_words =
    the Embedding's input_dim, maxlen 500, padding at the front. A spec of another data source
    (``jena_climate``, ``imdb_text``, ``arrays``) gets seeded random inputs (seed 1) instead, and
    the words say so.

    Returns:
        x: (n, maxlen) int32 or (n, num_words) float32 multi-hot; and words saying what x is.

    Raises:
        UsageError: a spec without a data section whose input is not word indices.
        DataError: as :func:`harness.data.load_imdb`.
    """
    from ..data import load_imdb_test_head
    from ..spec import ImdbDataSpec

    data_spec, note = spec.data, ""
    first = spec_layers(spec)[0]
    if data_spec is None:
        if kind(first) != "Embedding":
            raise UsageError(f"{spec.path}: no data section, and the model's input is not word "
                             "indices; add a data section to check it on reviews")
        dim = first.arg("input_dim")
        data_spec = ImdbDataSpec(num_words=dim, maxlen=REVIEWS_MAXLEN)
        note = f" (no data section: num_words {dim}, maxlen {REVIEWS_MAXLEN}, pre)"
    elif data_spec.dataset != "imdb":
        x = random_inputs(spec, n, seed=1)
        return x, (f"random inputs (seed 1), not reviews: --data {path} is read for "
                   f"'dataset: imdb' specs only, this one's is '{data_spec.dataset}'")
    x, _ = load_imdb_test_head(data_spec, path, n)
    return x, f"{len(x)} test reviews of {path}{note}"
