"""Numerical parity: NumPy forward passes of each layer, checked against the Keras layers.

Each reference is written from the layer's equations, one timestep at a time, the way the
notebook's naive NumPy RNN is (``output_t = tanh(W x_t + U h_{t-1} + b)``), and takes the weights
of a built Keras layer as ``layer.get_weights()`` returns them. The Keras 3 layouts relied on
(d = input features, u = units; gate blocks are consecutive slices of width u along the last axis):

- Embedding: ``[embeddings (input_dim, output_dim)]``.
- Dense: ``[kernel (d, u), bias (u,)]``; no bias when ``use_bias=False``.
- SimpleRNN: ``[kernel (d, u), recurrent_kernel (u, u), bias (u,)]``.
- LSTM: ``[kernel (d, 4u), recurrent_kernel (u, 4u), bias (4u,)]``, gates in the order
  i (input), f (forget), c (candidate), o (output).
- GRU: ``[kernel (d, 3u), recurrent_kernel (u, 3u), bias]``, gates in the order z (update),
  r (reset), h (candidate); bias ``(3u,)`` when ``reset_after=False``, ``(2, 3u)`` when
  ``reset_after=True``: row 0 is added to ``x W``, row 1 to ``h U`` (inside the reset gate's
  product for the candidate).
- Conv1D: ``[kernel (kernel_size, d/groups, filters), bias (filters,)]``, channels last.
- Bidirectional: the forward layer's weights, then the backward layer's (same layout each).
- TimeDistributed: the wrapped layer's weights.

Source of the equations and layouts: the Keras 3 layers (``keras/src/layers/rnn/lstm.py``,
``gru.py``, ``simple_rnn.py``, ``bidirectional.py``, ``convolutional/base_conv.py``), whose
docstrings cite Hochreiter & Schmidhuber (1997) and Cho et al. (2014). A masked timestep
(``Embedding(mask_zero=True)``) keeps the states and repeats the previous output, as Keras does
(inside a Bidirectional with ``return_sequences`` it outputs zeros, as Keras forces there). A
recurrent layer with ``go_backwards`` reads the timesteps last to first and, with
``return_sequences``, returns its outputs in that order; a Bidirectional's backward layer is its
layer with ``go_backwards=True``, whose sequence it reverses back in time before merging. Dropout
(and SpatialDropout, GaussianNoise, ...) is the identity at inference. Pooling and convolution
``same`` padding is TensorFlow's: ``max(0, (out-1)*stride + window - length)`` values, the
smaller half in front; padded values are never the max and do not count in an average. The
references compute in float64, so a difference measures the Keras float32 computation's error.

A layer type (or activation, or option such as ``channels_first``) without a reference here is not
skipped silently: its row in the parity table says "no reference" and why, and the end-to-end row,
which needs every layer, says so too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ArchitectureMismatch, UsageError
from .verify import DROPOUTS, GATES, kind, layer_shapes

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from .spec import LayerSpec, Spec

DEFAULT_ATOL = 1e-5  # float32 outputs: the tolerance


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


def _recurrent_weights(weights: Sequence[np.ndarray], use_bias: bool, gates: int,
                       what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int]:
    """kernel (d, gates*u), recurrent_kernel (u, gates*u), bias or None, and u; float64."""
    want = 3 if use_bias else 2
    if len(weights) != want:
        raise ValueError(f"{what} expects {want} weight arrays "
                         f"(kernel, recurrent_kernel{', bias' if use_bias else ''}), "
                         f"got {len(weights)}")
    w = [np.asarray(a, dtype=np.float64) for a in weights]
    u = w[1].shape[0]
    _check_shape(w[1], (u, gates * u), f"{what} recurrent_kernel")
    _check_shape(w[0], (w[0].shape[0], gates * u), f"{what} kernel")
    return w[0], w[1], (w[2] if use_bias else None), u


def _check_shape(array: np.ndarray, shape: tuple, what: str) -> None:
    if array.shape != shape:
        raise ValueError(f"{what} has shape {array.shape}, the layout needs {shape}")


def _scan(step, x: np.ndarray, states: list[np.ndarray], mask: np.ndarray | None,
          return_sequences: bool, go_backwards: bool = False,
          zero_output_for_mask: bool = False) -> np.ndarray:
    """Run ``step(x_t, states) -> (output_t, states)`` over the timesteps of x.

    x is (batch_size, timesteps, features); mask (batch_size, timesteps) of bools or None.
    ``go_backwards`` reads the timesteps (and the mask) last to first, and returns the sequence in
    that order. A masked timestep keeps the states and outputs the previous output, or zeros with
    ``zero_output_for_mask``.
    Returns (batch_size, timesteps, units) when return_sequences, else (batch_size, units).
    """
    if go_backwards:
        x = x[:, ::-1]
        mask = None if mask is None else np.asarray(mask)[:, ::-1]
    output = np.zeros_like(states[0])
    outputs = []
    for t in range(x.shape[1]):
        new_output, new_states = step(x[:, t], states)
        if mask is None:
            output, states = new_output, new_states
        else:
            keep = mask[:, t, None]
            output = np.where(keep, new_output, 0.0 if zero_output_for_mask else output)
            states = [np.where(keep, new, old) for new, old in zip(new_states, states, strict=True)]
        outputs.append(output)
    if return_sequences:
        return np.stack(outputs, axis=1) if outputs else np.zeros((x.shape[0], 0, output.shape[1]))
    return output


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


def simple_rnn(x: np.ndarray, weights: Sequence[np.ndarray], activation_name: str = "tanh",
               return_sequences: bool = False, use_bias: bool = True,
               mask: np.ndarray | None = None, go_backwards: bool = False,
               zero_output_for_mask: bool = False) -> np.ndarray:
    """SimpleRNN: ``h_t = activation(x_t W + h_{t-1} U + b)``, h_0 = 0.

    Args:
        x: (batch_size, timesteps, features).
        weights: kernel (d, u), recurrent_kernel (u, u), bias (u,).
        mask: (batch_size, timesteps) bools, False = skip the timestep; or None.
        go_backwards: read the timesteps last to first (the sequence comes out in that order).

    Returns:
        (batch_size, timesteps, units) when return_sequences, else (batch_size, units).
    """
    kernel, recurrent, bias, u = _recurrent_weights(weights, use_bias, 1, "SimpleRNN")
    bias = np.zeros(u) if bias is None else bias
    _check_shape(bias, (u,), "SimpleRNN bias")
    act = activation(activation_name)

    def step(x_t, states):
        h = act(x_t @ kernel + states[0] @ recurrent + bias)
        return h, [h]

    x = np.asarray(x, dtype=np.float64)
    return _scan(step, x, [np.zeros((x.shape[0], u))], mask, return_sequences, go_backwards,
                 zero_output_for_mask)


def lstm(x: np.ndarray, weights: Sequence[np.ndarray], activation_name: str = "tanh",
         recurrent_activation: str = "sigmoid", return_sequences: bool = False,
         use_bias: bool = True, mask: np.ndarray | None = None, go_backwards: bool = False,
         zero_output_for_mask: bool = False) -> np.ndarray:
    """LSTM, gates i, f, c, o (h_0 = c_0 = 0)::

        i = rec(x W_i + h U_i + b_i)     f = rec(x W_f + h U_f + b_f)
        o = rec(x W_o + h U_o + b_o)     c = f * c + i * act(x W_c + h U_c + b_c)
        h = o * act(c)

    Args:
        x: (batch_size, timesteps, features).
        weights: kernel (d, 4u), recurrent_kernel (u, 4u), bias (4u,), gate blocks i, f, c, o.

    Returns:
        (batch_size, timesteps, units) when return_sequences, else (batch_size, units).
    """
    kernel, recurrent, bias, u = _recurrent_weights(weights, use_bias, 4, "LSTM")
    bias = np.zeros(4 * u) if bias is None else bias
    _check_shape(bias, (4 * u,), "LSTM bias")
    act, rec = activation(activation_name), activation(recurrent_activation)

    def step(x_t, states):
        h, c = states
        z = x_t @ kernel + h @ recurrent + bias
        zi, zf, zc, zo = np.split(z, 4, axis=-1)
        c = rec(zf) * c + rec(zi) * act(zc)
        h = rec(zo) * act(c)
        return h, [h, c]

    x = np.asarray(x, dtype=np.float64)
    zeros = np.zeros((x.shape[0], u))
    return _scan(step, x, [zeros, zeros], mask, return_sequences, go_backwards,
                 zero_output_for_mask)


def gru(x: np.ndarray, weights: Sequence[np.ndarray], activation_name: str = "tanh",
        recurrent_activation: str = "sigmoid", return_sequences: bool = False,
        use_bias: bool = True, reset_after: bool = True,
        mask: np.ndarray | None = None, go_backwards: bool = False,
        zero_output_for_mask: bool = False) -> np.ndarray:
    """GRU, gates z, r, h (h_0 = 0)::

        z = rec(x W_z + b_z + h U_z + b'_z)     r = rec(x W_r + b_r + h U_r + b'_r)
        reset_after=True:  h~ = act(x W_h + b_h + r * (h U_h + b'_h))
        reset_after=False: h~ = act(x W_h + b_h + (r * h) U_h)       (no b')
        h = z * h + (1 - z) * h~

    Args:
        x: (batch_size, timesteps, features).
        weights: kernel (d, 3u), recurrent_kernel (u, 3u), and bias: (2, 3u) with the input bias b
            in row 0 and the recurrent bias b' in row 1 when reset_after, else (3u,).

    Returns:
        (batch_size, timesteps, units) when return_sequences, else (batch_size, units).
    """
    kernel, recurrent, bias, u = _recurrent_weights(weights, use_bias, 3, "GRU")
    if bias is not None and reset_after:
        _check_shape(bias, (2, 3 * u), "GRU bias (reset_after=True)")
        in_bias, rec_bias = bias[0], bias[1]
    elif bias is not None:
        _check_shape(bias, (3 * u,), "GRU bias (reset_after=False)")
        in_bias, rec_bias = bias, np.zeros(3 * u)
    else:
        in_bias = rec_bias = np.zeros(3 * u)
    act, rec = activation(activation_name), activation(recurrent_activation)

    def step(x_t, states):
        h = states[0]
        xz, xr, xh = np.split(x_t @ kernel + in_bias, 3, axis=-1)
        if reset_after:
            hz, hr, hh = np.split(h @ recurrent + rec_bias, 3, axis=-1)
            z, r = rec(xz + hz), rec(xr + hr)
            candidate = act(xh + r * hh)
        else:
            z = rec(xz + h @ recurrent[:, :u])
            r = rec(xr + h @ recurrent[:, u:2 * u])
            candidate = act(xh + (r * h) @ recurrent[:, 2 * u:])
        h = z * h + (1.0 - z) * candidate
        return h, [h]

    x = np.asarray(x, dtype=np.float64)
    return _scan(step, x, [np.zeros((x.shape[0], u))], mask, return_sequences, go_backwards,
                 zero_output_for_mask)


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
    _check_shape(kernel, (k, x.shape[-1] // groups, filters), "Conv1D kernel")
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


MERGE_MODES = ("concat", "sum", "mul", "ave")


def bidirectional(x: np.ndarray, weights: Sequence[np.ndarray],
                  forward: Callable[..., np.ndarray], merge_mode: str = "concat",
                  return_sequences: bool = False, mask: np.ndarray | None = None) -> np.ndarray:
    """Bidirectional: the wrapped recurrent layer run forward and, on a copy of its own weights,
    backward (``go_backwards=True``); with return_sequences the backward sequence is reversed back
    in time; then merged: ``concat`` (forward features first), ``sum``, ``mul`` or ``ave``.

    Args:
        x: (batch_size, timesteps, features).
        weights: the forward layer's weights, then the backward layer's.
        forward: ``forward(x, weights, go_backwards=..., mask=..., zero_output_for_mask=...)``,
            the wrapped layer's reference (a masked step outputs zeros when return_sequences, as
            Keras forces inside a Bidirectional).

    Returns:
        (batch_size, [timesteps,] 2u) for concat, else (batch_size, [timesteps,] u).
    """
    if merge_mode not in MERGE_MODES:
        raise NoReference(f"merge_mode {merge_mode!r} has no NumPy reference (two outputs)")
    half = len(weights) // 2
    if len(weights) != 2 * half or half == 0:
        raise ValueError(f"Bidirectional expects the forward and backward layers' weights, "
                         f"got {len(weights)} arrays")
    zero = return_sequences
    y = forward(x, weights[:half], go_backwards=False, mask=mask, zero_output_for_mask=zero)
    y_rev = forward(x, weights[half:], go_backwards=True, mask=mask, zero_output_for_mask=zero)
    if return_sequences:
        y_rev = y_rev[:, ::-1]
    if merge_mode == "concat":
        return np.concatenate([y, y_rev], axis=-1)
    if merge_mode == "sum":
        return y + y_rev
    if merge_mode == "mul":
        return y * y_rev
    return (y + y_rev) / 2.0


def time_distributed(x: np.ndarray, inner: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """TimeDistributed: ``inner`` on each timestep: (batch_size, timesteps, ...) -> (batch_size,
    timesteps, ...inner output) (timesteps folded into the batch)."""
    x = np.asarray(x)
    y = inner(x.reshape(x.shape[0] * x.shape[1], *x.shape[2:]))
    return y.reshape(x.shape[0], x.shape[1], *y.shape[1:])


# ---------------------------------------------------------------------------------------------
# A spec layer's reference


RECURRENT_REFERENCES = {"SimpleRNN": simple_rnn, "LSTM": lstm, "GRU": gru}


def _recurrent(layer_spec: LayerSpec) -> Callable[..., np.ndarray]:
    """``f(x, weights, mask=, go_backwards=, zero_output_for_mask=)``: the reference of a
    recurrent spec layer with its arguments."""
    t = kind(layer_spec)
    if t not in RECURRENT_REFERENCES:
        raise NoReference(f"no NumPy reference for layer type {layer_spec.type}")
    if layer_spec.arg("return_state"):
        raise NoReference("return_state: several outputs")
    args: dict[str, Any] = {"activation_name": layer_spec.arg("activation"),
                            "return_sequences": layer_spec.arg("return_sequences"),
                            "use_bias": layer_spec.arg("use_bias")}
    if t != "SimpleRNN":
        args["recurrent_activation"] = layer_spec.arg("recurrent_activation")
    if t == "GRU":
        args["reset_after"] = layer_spec.arg("reset_after")
    reference = RECURRENT_REFERENCES[t]
    backwards = bool(layer_spec.arg("go_backwards"))

    def run(x, weights, mask=None, go_backwards=backwards, zero_output_for_mask=False):
        return reference(x, weights, mask=mask, go_backwards=go_backwards,
                         zero_output_for_mask=zero_output_for_mask, **args)

    return run


def _channels_last(layer_spec: LayerSpec) -> None:
    if layer_spec.arg("data_format") == "channels_first":
        raise NoReference("data_format 'channels_first' has no NumPy reference")


def _one(value: Any) -> int:
    """A 1D size argument (``3`` or ``[3]``) as an int."""
    return int(value) if isinstance(value, int) else int(value[0])


def reference_forward(layer_spec: LayerSpec, weights: Sequence[np.ndarray], x: np.ndarray,
                      mask: np.ndarray | None = None) -> np.ndarray:
    """The NumPy output of one spec layer (a :class:`harness.spec.LayerSpec`) on input x.

    Raises:
        NoReference: the layer type, an activation or an option has no reference here.
        ValueError: weights that do not have the layout above.
    """
    t = kind(layer_spec)
    arg = layer_spec.arg
    if t == "Embedding":
        return embedding(x, weights)
    if t in DROPOUTS:
        return np.asarray(x, dtype=np.float64)  # the identity at inference
    if t == "Activation":
        return activation(arg("activation"))(np.asarray(x, dtype=np.float64))
    if t == "Dense":
        return dense(x, weights, arg("activation"), arg("use_bias"))
    if t in GATES:
        return _recurrent(layer_spec)(x, weights, mask=mask)
    if t == "Flatten":
        _channels_last(layer_spec)
        return flatten(x)
    if t == "Conv1D":
        _channels_last(layer_spec)
        return conv1d(x, weights, _one(arg("strides")), arg("padding"),
                      _one(arg("dilation_rate")), arg("groups"), arg("activation"),
                      arg("use_bias"))
    if t in ("MaxPooling1D", "AveragePooling1D"):
        _channels_last(layer_spec)
        strides = arg("strides")
        return pooling1d(x, _one(arg("pool_size")), None if strides is None else _one(strides),
                         arg("padding"), "max" if t == "MaxPooling1D" else "average")
    if t in ("GlobalMaxPooling1D", "GlobalAveragePooling1D"):
        _channels_last(layer_spec)
        return global_pooling1d(x, "max" if t == "GlobalMaxPooling1D" else "average",
                                bool(arg("keepdims")), mask)
    if t == "Bidirectional" and layer_spec.layer is not None:
        if arg("backward_layer") is not None:
            raise NoReference("a backward_layer of its own has no NumPy reference")
        inner = layer_spec.layer
        if kind(inner) not in RECURRENT_REFERENCES:
            raise NoReference(f"no NumPy reference for Bidirectional({inner.type})")
        return bidirectional(x, weights, _recurrent(inner), arg("merge_mode"),
                             bool(inner.arg("return_sequences")), mask)
    if t == "TimeDistributed" and layer_spec.layer is not None:
        inner = layer_spec.layer
        if kind(inner) in RECURRENT_REFERENCES or kind(inner) in ("Bidirectional",
                                                                   "TimeDistributed"):
            raise NoReference(f"no NumPy reference for TimeDistributed({inner.describe()})")
        return time_distributed(x, lambda inputs: reference_forward(inner, weights, inputs))
    raise NoReference(f"no NumPy reference for layer type {layer_spec.describe()}")


# Layers that pass their input's mask on unchanged (Keras: supports_masking, default compute_mask).
MASK_KEEPING = frozenset({"Dense", "Activation", "TimeDistributed", *DROPOUTS})
# Layers that drop it: no masking support (Conv1D, pooling, Flatten), or a compute_mask of None.
MASK_DROPPING = frozenset({"Flatten", "Conv1D", "Conv2D", "Conv3D", "MaxPooling1D",
                           "AveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling1D"})


def output_mask(layer_spec: LayerSpec, x: np.ndarray, mask: np.ndarray | None) -> np.ndarray | None:
    """The mask a layer passes on, as Keras propagates it: (batch_size, timesteps) or None.

    Raises:
        NoReference: a layer type whose mask rule is not known here (given a mask).
    """
    t = kind(layer_spec)
    if t == "Embedding":
        return np.asarray(x) != 0 if layer_spec.arg("mask_zero") else None
    if mask is None or t in MASK_DROPPING:
        return None
    if t in GATES:
        return mask if layer_spec.arg("return_sequences") else None
    if t == "Bidirectional" and layer_spec.layer is not None:
        return mask if layer_spec.layer.arg("return_sequences") else None
    if t in MASK_KEEPING:
        return mask
    raise NoReference(f"no mask rule for layer type {layer_spec.describe()}")


# ---------------------------------------------------------------------------------------------
# Whole models


@dataclass(frozen=True)
class ParityRow:
    """One layer's largest absolute difference between its Keras and NumPy outputs.

    ``max_abs_diff`` is None for a layer without a reference; ``note`` then says why.
    """

    name: str
    type: str
    output_shape: tuple
    max_abs_diff: float | None
    atol: float
    note: str | None = None

    @property
    def checked(self) -> bool:
        return self.max_abs_diff is not None

    @property
    def ok(self) -> bool:
        """Within atol (NaN is not), or not checked (see :attr:`ParityResult.unchecked`)."""
        return self.max_abs_diff is None or bool(self.max_abs_diff <= self.atol)


@dataclass(frozen=True)
class ParityResult:
    """Per-layer rows, each layer fed the Keras output of the layer before it, and a last row
    ``model`` comparing the model's output with the NumPy layers chained from the input alone
    (not checked when a layer has no reference)."""

    rows: list[ParityRow]
    inputs: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def problems(self) -> list[str]:
        return [f"{r.name} ({r.type}) differs by {r.max_abs_diff:.2e} > {r.atol:.0e}"
                for r in self.rows if not r.ok]

    @property
    def unchecked(self) -> list[str]:
        """``name (type): why`` of each row without a reference."""
        return [f"{r.name} ({r.type}): {r.note}" for r in self.rows if not r.checked]

    def table(self) -> str:
        """Markdown: layer (type), output shape, max abs diff, tolerance, ok; then a line naming
        the layers without a reference."""
        from tabulate import tabulate

        rows = [[f"{r.name} ({r.type})", str(r.output_shape),
                 "-" if r.max_abs_diff is None else f"{r.max_abs_diff:.2e}", f"{r.atol:.0e}",
                 "no reference" if not r.checked else "ok" if r.ok else "DIFFERS"]
                for r in self.rows]
        table = tabulate(rows, headers=["layer (type)", "output shape", "max abs diff",
                                        "tolerance", "ok"],
                         tablefmt="github", disable_numparse=True)
        footer = [*self.notes]
        if self.unchecked:
            footer.append("not checked, no NumPy reference: " + "; ".join(self.unchecked))
        return table + "".join(f"\n\n{line}" for line in footer)


def randomize_biases(model: keras.Model, seed: int = 0, scale: float = 0.1) -> None:
    """Set every bias of the model to N(0, scale^2) values.

    A freshly built model's biases are zeros (the LSTM forget gate's ones), which would hide a
    bias-layout error (a GRU's two bias rows swapped, say); kernels keep their initial values,
    whose scale keeps the activations out of saturation.
    """
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        values = [rng.normal(0.0, scale, w.shape).astype(w.dtype) if v.name == "bias" else w
                  for v, w in zip(layer.weights, layer.get_weights(), strict=True)]
        if values:
            layer.set_weights(values)


def _layers(spec: Spec) -> list[LayerSpec]:
    """The spec's layer list.

    Raises:
        UsageError: a factory model (no layer list to pair with NumPy references).
    """
    if spec.model.layers is None:
        raise UsageError(f"{spec.path}: a factory model ({spec.model.factory}) has no layer "
                         "list in the spec, so it has no NumPy references; verify it without "
                         "--parity")
    return spec.model.layers


def measure_parity(model: keras.Model, spec: Spec, x: np.ndarray,
                   atol: float = DEFAULT_ATOL, inputs: str = "") -> ParityResult:
    """Run x through the model and through the NumPy references, layer by layer; raise nothing
    for a difference (a layer without a reference gets a "no reference" row).

    Args:
        model: built from ``spec`` (its layers in the spec's order).
        x: the model's input: (batch_size, timesteps) int indices, (batch_size, features) or
            (batch_size, timesteps, features) floats.
        atol: the largest absolute difference allowed per output value.
        inputs: words describing x for the report (``random inputs``, ``4 test reviews``).

    Raises:
        ArchitectureMismatch: the model's layers do not pair with the spec's, or a layer's weights
            do not have the layout its reference needs.
        UsageError: a factory model.
    """
    import keras

    layers = _layers(spec)
    if len(model.layers) != len(layers):
        raise ArchitectureMismatch(f"{spec.path}: the model has {len(model.layers)} layers, the "
                                   f"spec {len(layers)}; rebuild it from the spec")
    probe = keras.Model(model.inputs[0], [layer.output for layer in model.layers])
    # predict runs a compiled graph (inference mode, Dropout off): several times faster than an
    # eager call over 500 timesteps.
    outputs = probe.predict(x, batch_size=len(x), verbose=0)
    keras_outputs = [np.asarray(y) for y in (outputs if isinstance(outputs, list) else [outputs])]
    rows = []
    layer_in, chained, mask = np.asarray(x), np.asarray(x), None
    broken: str | None = None  # the first layer without a reference ends the chained pass
    for i, (layer, ls) in enumerate(zip(model.layers, layers, strict=True)):
        where = f"{spec.path}: model.layers[{i}] ({ls.describe()})"
        theirs = keras_outputs[i]
        weights = layer.get_weights()
        try:
            mine = reference_forward(ls, weights, layer_in, mask)
            if broken is None:
                chained = reference_forward(ls, weights, chained, mask)
        except NoReference as exc:
            rows.append(ParityRow(layer.name, type(layer).__name__, theirs.shape, None, atol,
                                  str(exc)))
            broken = broken or f"{layer.name} ({ls.describe()})"
        except ValueError as exc:
            raise ArchitectureMismatch(f"{where}: {exc}; the layer's weights do not have the "
                                       "layout of harness/parity.py") from None
        else:
            diff = _max_abs_diff(mine, theirs, where)
            rows.append(ParityRow(layer.name, type(layer).__name__, theirs.shape, diff, atol))
        mask = _next_mask(layer, ls, layer_in, mask)
        layer_in = theirs
    shape = keras_outputs[-1].shape
    if broken is None:
        diff = _max_abs_diff(chained, keras_outputs[-1], f"{spec.path}: the model's output")
        rows.append(ParityRow("model", "end to end", shape, diff, atol))
    else:
        rows.append(ParityRow("model", "end to end", shape, None, atol,
                              f"the chained NumPy pass needs every layer; {broken} has none"))
    return ParityResult(rows, inputs)


def _next_mask(layer: keras.Layer, layer_spec: LayerSpec, x: np.ndarray,
               mask: np.ndarray | None) -> np.ndarray | None:
    """The mask after a layer: :func:`output_mask`, else Keras's own ``compute_mask`` for a layer
    type whose rule is not known here (so the layers after it are fed the mask Keras feeds)."""
    try:
        return output_mask(layer_spec, x, mask)
    except NoReference:
        if mask is None or not layer.supports_masking:
            return None
        out = layer.compute_mask(x, mask)
        return None if out is None else np.asarray(out)


def _max_abs_diff(mine: np.ndarray, theirs: np.ndarray, where: str) -> float:
    if mine.shape != theirs.shape:
        raise ArchitectureMismatch(f"{where}: Keras outputs shape {theirs.shape}, the NumPy "
                                   f"reference {mine.shape}; check return_sequences")
    if mine.size == 0:
        return 0.0
    return float(np.max(np.abs(mine - theirs.astype(np.float64))))


def check_model_parity(model: keras.Model, spec: Spec, x: np.ndarray,
                       atol: float = DEFAULT_ATOL, inputs: str = "") -> ParityResult:
    """Like :func:`measure_parity`, but raise when a layer differs by more than atol.

    Raises:
        ArchitectureMismatch: one line naming the spec and each differing layer, with the per-layer
            table in ``.table``.
    """
    result = measure_parity(model, spec, x, atol, inputs)
    if not result.ok:
        on = f" on {inputs}" if inputs else ""
        raise ArchitectureMismatch(
            f"{spec.path}: the model differs from the NumPy reference{on}: "
            + "; ".join(result.problems)
            + "; a layer does not compute the equations of harness/parity.py for its weights",
            table=result.table(),
        )
    return result


WORD_TIMESTEPS = 100  # an open timestep axis of word indices
FLOAT_TIMESTEPS = 30  # an open axis of float input (a timeseries), doubled until it fits


def open_length(spec: Spec, start: int) -> int:
    """The length given to the open dims of the spec's input: ``start``, doubled until every
    layer's output has a positive size (a stack of Conv1D and MaxPooling1D shortens it)."""
    assert spec.model.input is not None
    layers = _layers(spec)
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
    first = _layers(spec)[0]
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
    from .data import load_imdb_test_head
    from .spec import ImdbDataSpec

    data_spec, note = spec.data, ""
    first = _layers(spec)[0]
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
