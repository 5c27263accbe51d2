"""Shape rules: a layer's output shape from its arguments and its input shape, tracked through a
layer list from ``model.input.shape`` (no TensorFlow).

Embedding ``(batch_size, timesteps, output_dim)``, Dense on the last axis, recurrent layers with
``return_sequences``, Bidirectional concat doubling the features, TimeDistributed on the inner
axes, Conv and pooling with their padding, strides and dilation, global pooling with
``keepdims``, Flatten the product of the non-batch dims.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .kinds import CONVOLUTIONS, GATES, GLOBAL_POOLINGS, POOLINGS, SHAPE_KEEPING, kind

if TYPE_CHECKING:  # pragma: no cover
    from ..spec import LayerSpec

# A shape as Keras prints it, batch dimension first: (None, None, 32). None = open or unknown.
Shape = tuple[int | None, ...]


def sizes(value: Any, n: int) -> tuple[int, ...]:
    """A Keras size argument (``3`` or ``[3, 3]``) as n ints."""
    return (int(value),) * n if isinstance(value, int) else tuple(int(v) for v in value)


def channels_first(layer_spec: LayerSpec) -> bool:
    """Whether the layer's ``data_format`` puts the channels before the spatial dims."""
    return layer_spec.arg("data_format") == "channels_first"


def _window_length(length: int | None, window: int, stride: int, padding: str,
                   dilation: int = 1) -> int | None:
    """Output length of a sliding window (convolution, pooling) along one axis, as Keras:
    ``valid``: (length - (window-1)*dilation - 1) // stride + 1; ``same``/``causal``:
    ceil(length / stride). None for an open length."""
    if length is None:
        return None
    if padding == "valid":
        return (length - (window - 1) * dilation - 1) // stride + 1
    return (length + stride - 1) // stride


def split_channels(layer_spec: LayerSpec, shape: Shape, n: int) -> tuple[Shape, int | None] | None:
    """(spatial dims, channels) of a rank n+2 input, by the layer's data_format; None for
    another rank."""
    if len(shape) != n + 2:
        return None
    if channels_first(layer_spec):
        return shape[2:], shape[1]
    return shape[1:-1], shape[-1]


def _join(layer_spec: LayerSpec, batch: int | None, spatial: Sequence[int | None],
          channels: int | None) -> Shape:
    if channels_first(layer_spec):
        return (batch, channels, *spatial)
    return (batch, *spatial, channels)


def output_shape(layer_spec: LayerSpec, input_shape: Sequence[int | None] | None) -> Shape | None:
    """A layer's output shape for an input shape (batch first), from its arguments.

    Examples: Embedding(n, e) on (batch_size, timesteps) -> (batch_size, timesteps, e); LSTM(u)
    on (batch_size, timesteps, features) -> (batch_size, u), or (batch_size, timesteps, u) with
    return_sequences; Conv1D(f, k) 'valid' on (batch_size, 500, 128) -> (batch_size, 494, f);
    Flatten on (batch_size, 240, 14) -> (batch_size, 3360).

    Returns:
        The shape, None for an open dimension; None when the input shape is unknown, the layer
        type has no rule here, or the layer returns several tensors (``return_state``,
        ``merge_mode: null``).
    """
    if input_shape is None:
        return None
    shape = tuple(input_shape)
    t = kind(layer_spec)
    if t == "Embedding":
        return (*shape, layer_spec.arg("output_dim"))
    if t == "Dense":
        return (*shape[:-1], layer_spec.arg("units"))
    if t in SHAPE_KEEPING:
        return shape
    if t in GATES:
        if layer_spec.arg("return_state") or len(shape) != 3:
            return None
        units = layer_spec.arg("units")
        return (shape[0], shape[1], units) if layer_spec.arg("return_sequences") \
            else (shape[0], units)
    if t == "Bidirectional" and layer_spec.layer is not None:
        return _bidirectional_shape(layer_spec, layer_spec.layer, shape)
    if t == "TimeDistributed" and layer_spec.layer is not None:
        if len(shape) < 3:
            return None
        inner = output_shape(layer_spec.layer, (shape[0], *shape[2:]))
        return None if inner is None else (shape[0], shape[1], *inner[1:])
    if t == "Flatten":
        rest = [d for d in shape[1:] if d is not None]
        return (shape[0], math.prod(rest) if len(rest) == len(shape) - 1 else None)
    if t in CONVOLUTIONS or t in POOLINGS:
        return _window_shape(layer_spec, t, shape)
    if t in GLOBAL_POOLINGS:
        split = split_channels(layer_spec, shape, GLOBAL_POOLINGS[t])
        if split is None:
            return None
        if layer_spec.arg("keepdims"):
            return _join(layer_spec, shape[0], [1] * len(split[0]), split[1])
        return (shape[0], split[1])
    return None


def _bidirectional_shape(layer_spec: LayerSpec, inner_spec: LayerSpec,
                         shape: Shape) -> Shape | None:
    """The wrapped layer's output, merged: ``concat`` doubles the features; None for
    ``merge_mode: null`` (two outputs)."""
    inner = output_shape(inner_spec, shape)
    merge = layer_spec.arg("merge_mode")
    if inner is None or merge not in ("concat", "sum", "mul", "ave"):
        return None
    if merge == "concat":
        return (*inner[:-1], None if inner[-1] is None else 2 * inner[-1])
    return inner


def _window_shape(layer_spec: LayerSpec, t: str, shape: Shape) -> Shape | None:
    """A convolution or pooling: the spatial dims slid over by a window; None for an input of
    another rank."""
    # A convolution and a pooling slide a window the same way; a convolution also dilates
    # it and sets the channels (filters), a pooling keeps them and strides by its window.
    conv = t in CONVOLUTIONS
    n = CONVOLUTIONS[t] if conv else POOLINGS[t]
    split = split_channels(layer_spec, shape, n)
    if split is None:
        return None
    window = sizes(layer_spec.arg("kernel_size" if conv else "pool_size"), n)
    strides = sizes(layer_spec.arg("strides") or window, n)
    dilation = sizes(layer_spec.arg("dilation_rate"), n) if conv else (1,) * n
    spatial = [_window_length(length, w, s, layer_spec.arg("padding"), r)
               for length, w, s, r in zip(split[0], window, strides, dilation, strict=True)]
    return _join(layer_spec, shape[0], spatial, layer_spec.arg("filters") if conv else split[1])


def layer_shapes(layers: Sequence[LayerSpec], input_shape: Sequence[int | None]
                 ) -> list[tuple[Shape | None, Shape | None]]:
    """(input shape, output shape) of each layer of a layer list on ``(batch_size,
    *input_shape)``, by :func:`output_shape`; a layer it has no rule for takes its
    ``expect.output_shape`` (what the spec declares), else its shape and those after it are
    None (unknown)."""
    shapes: list[tuple[Shape | None, Shape | None]] = []
    shape: Shape | None = (None, *input_shape)
    for layer in layers:
        out = output_shape(layer, shape)
        if out is None and layer.expect is not None:
            out = tuple(layer.expect.output_shape)
        shapes.append((shape, out))
        shape = out
    return shapes
