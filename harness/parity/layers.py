"""NumPy references of the feed-forward layers (float64), and their activations.

Each takes the weights of a built Keras layer as ``layer.get_weights()`` returns them, in the
layouts listed in :mod:`harness.parity`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


class NoReference(ValueError):
    """This module has no NumPy reference for a layer type, activation or option."""


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda x: x,
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "relu": lambda x: np.maximum(x, 0.0),
    "hard_sigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0),  # Keras 3: relu6(x + 3) / 6
    "softmax": _softmax,
}


def activation(name: str | None) -> Callable[[np.ndarray], np.ndarray]:
    """The NumPy function of a Keras activation name (None = linear).

    Raises:
        NoReference: a name the references do not implement.
    """
    try:
        return ACTIVATIONS[name or "linear"]
    except (KeyError, TypeError):
        raise NoReference(
            f"activation {name!r} has no NumPy reference (known: {', '.join(ACTIVATIONS)})"
        ) from None


def check_shape(array: np.ndarray, shape: tuple, what: str) -> None:
    """Raise ValueError, naming ``what``, when the array does not have the layout's shape."""
    if array.shape != shape:
        raise ValueError(f"{what} has shape {array.shape}, the layout needs {shape}")


def embedding(indices: np.ndarray, weights: Sequence[np.ndarray]) -> np.ndarray:
    """Embedding lookup: (batch_size, timesteps) ints -> (batch_size, timesteps, output_dim).

    Raises:
        ValueError: an index outside [0, input_dim) (NumPy would wrap a negative one silently).
    """
    (table,) = weights
    indices = np.asarray(indices)
    if indices.size and (indices.min() < 0 or indices.max() >= table.shape[0]):
        raise ValueError(f"indices must be in [0, {table.shape[0]}), got "
                         f"[{indices.min()}, {indices.max()}]")
    return np.asarray(table, dtype=np.float64)[indices]


def dense(x: np.ndarray, weights: Sequence[np.ndarray], activation_name: str | None = None,
          use_bias: bool = True) -> np.ndarray:
    """``activation(x kernel + bias)``: (batch_size, ..., d) -> (batch_size, ..., units)."""
    kernel = np.asarray(weights[0], dtype=np.float64)
    if len(weights) != (2 if use_bias else 1):
        raise ValueError(f"Dense expects {'kernel, bias' if use_bias else 'kernel'}, "
                         f"got {len(weights)} weight arrays")
    y = np.asarray(x, dtype=np.float64) @ kernel
    if use_bias:
        y = y + np.asarray(weights[1], dtype=np.float64)
    return activation(activation_name)(y)


def _padding(length: int, window: int, stride: int, padding: str) -> tuple[int, int]:
    """(front, back) padding of one axis: none for ``valid``; TensorFlow's for ``same`` (the
    smaller half in front); ``window - 1`` in front for ``causal``. ``window`` is the effective
    (dilated) window."""
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return window - 1, 0
    if padding != "same":
        raise NoReference(f"padding {padding!r} has no NumPy reference")
    out = -(-length // stride)
    total = max((out - 1) * stride + window - length, 0)
    return total // 2, total - total // 2


def conv1d(x: np.ndarray, weights: Sequence[np.ndarray], strides: int = 1,
           padding: str = "valid", dilation_rate: int = 1, groups: int = 1,
           activation_name: str | None = None, use_bias: bool = True) -> np.ndarray:
    """Conv1D, channels last: ``y[:, i] = activation(sum_j x[:, i*s + j*r] kernel[j] + bias)``.

    Args:
        x: (batch_size, steps, channels).
        weights: kernel (kernel_size, channels/groups, filters), bias (filters,); each group of
            channels/groups input channels feeds filters/groups outputs.
        strides, dilation_rate: s and r (ints).
        padding: ``valid``, ``same`` or ``causal`` (zeros).

    Returns:
        (batch_size, output_steps, filters), output_steps = (steps + padding - (k-1)*r - 1)//s + 1.
    """
    if len(weights) != (2 if use_bias else 1):
        raise ValueError(f"Conv1D expects {'kernel, bias' if use_bias else 'kernel'}, "
                         f"got {len(weights)} weight arrays")
    kernel = np.asarray(weights[0], dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    k, per_group, filters = kernel.shape
    check_shape(kernel, (k, x.shape[-1] // groups, filters), "Conv1D kernel")
    span = (k - 1) * dilation_rate + 1
    front, back = _padding(x.shape[1], span, strides, padding)
    xp = np.pad(x, ((0, 0), (front, back), (0, 0)))
    steps = (xp.shape[1] - span) // strides + 1
    y = np.zeros((x.shape[0], max(steps, 0), filters))
    out_per_group = filters // groups
    for j in range(k):
        start = j * dilation_rate
        taps = xp[:, start:start + (steps - 1) * strides + 1:strides]  # (batch, steps, channels)
        for g in range(groups):
            y[..., g * out_per_group:(g + 1) * out_per_group] += (
                taps[..., g * per_group:(g + 1) * per_group]
                @ kernel[j, :, g * out_per_group:(g + 1) * out_per_group])
    if use_bias:
        y = y + np.asarray(weights[1], dtype=np.float64)
    return activation(activation_name)(y)


def pooling1d(x: np.ndarray, pool_size: int = 2, strides: int | None = None,
              padding: str = "valid", op: str = "max") -> np.ndarray:
    """MaxPooling1D / AveragePooling1D, channels last: the max (mean) of each window of
    ``pool_size`` steps, every ``strides`` (default pool_size) steps.

    Args:
        x: (batch_size, steps, channels).
        padding: ``valid``, or ``same``, whose padded values never win a max and do not count in
            a mean.

    Returns:
        (batch_size, output_steps, channels).
    """
    x = np.asarray(x, dtype=np.float64)
    strides = strides or pool_size
    front, back = _padding(x.shape[1], pool_size, strides, padding)
    fill = -np.inf if op == "max" else np.nan
    xp = np.pad(x, ((0, 0), (front, back), (0, 0)), constant_values=fill)
    steps = (xp.shape[1] - pool_size) // strides + 1
    windows = [xp[:, i * strides:i * strides + pool_size] for i in range(max(steps, 0))]
    reduce = (lambda w: w.max(axis=1)) if op == "max" else (lambda w: np.nanmean(w, axis=1))
    if not windows:
        return np.zeros((x.shape[0], 0, x.shape[2]))
    return np.stack([reduce(w) for w in windows], axis=1)


def global_pooling1d(x: np.ndarray, op: str = "max", keepdims: bool = False,
                     mask: np.ndarray | None = None) -> np.ndarray:
    """GlobalMaxPooling1D / GlobalAveragePooling1D: (batch_size, steps, channels) ->
    (batch_size, channels) (``(batch_size, 1, channels)`` with keepdims). The average leaves
    masked steps out (as Keras's does); the max ignores a mask (as Keras's does)."""
    x = np.asarray(x, dtype=np.float64)
    if op == "max":
        return x.max(axis=1, keepdims=keepdims)
    if mask is None:
        return x.mean(axis=1, keepdims=keepdims)
    weights = np.asarray(mask, dtype=np.float64)[..., None]
    return (x * weights).sum(axis=1, keepdims=keepdims) / weights.sum(axis=1, keepdims=keepdims)


def flatten(x: np.ndarray) -> np.ndarray:
    """Flatten: (batch_size, d1, d2, ...) -> (batch_size, d1*d2*...), row-major (C order)."""
    x = np.asarray(x, dtype=np.float64)
    return x.reshape(x.shape[0], -1)


def time_distributed(x: np.ndarray, inner: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """TimeDistributed: ``inner`` on each timestep: (batch_size, timesteps, ...) -> (batch_size,
    timesteps, ...inner output) (timesteps folded into the batch)."""
    x = np.asarray(x)
    y = inner(x.reshape(x.shape[0] * x.shape[1], *x.shape[2:]))
    return y.reshape(x.shape[0], x.shape[1], *y.shape[1:])
