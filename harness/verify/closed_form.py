"""Closed-form params of a layer, from its equations (Keras's layer source; Chollet, *Deep
Learning with Python*, 1st ed., ch. 6), with d the size of the layer input's feature (channel)
axis and u its units:

=========================================  =================================================
layer                                      params
=========================================  =================================================
Embedding(n, e)                            n*e
Dense(u)                                   d*u + u (no ``+ u`` without bias)
SimpleRNN(u)                               u*(u+d+1)
LSTM(u)                                    4*u*(u+d+1)
GRU(u)                                     3*u*(u+d+1) ``reset_after=False``,
                                           3*u*(u+d+2) ``reset_after=True`` (two bias rows)
Conv1D/2D/3D(filters, kernel_size)         prod(kernel_size) * d/groups * filters + filters
Bidirectional(layer)                       2 * the wrapped layer (forward and backward copy;
                                           the merge mode does not change the params)
TimeDistributed(layer)                     the wrapped layer on the input's inner features
pooling, global pooling, Flatten,          0
Dropout, SpatialDropout, Activation, ...
=========================================  =================================================

d comes from the input shape of each layer (:func:`harness.verify.shapes.layer_shapes`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .kinds import CONVOLUTIONS, GATES, WRAPPERS, ZERO_PARAMS, kind
from .shapes import Shape, channels_first, sizes

if TYPE_CHECKING:  # pragma: no cover
    from ..spec import LayerSpec


def has_closed_form(layer_spec: LayerSpec) -> bool:
    """Whether :func:`closed_form_params` knows this layer type (a wrapper: and its layer)."""
    t = kind(layer_spec)
    if t in WRAPPERS:
        return (layer_spec.layer is not None and layer_spec.arg("backward_layer") is None
                and has_closed_form(layer_spec.layer))
    return t in ZERO_PARAMS or t in GATES or t in CONVOLUTIONS or t in ("Embedding", "Dense")


def closed_form_params(layer_spec: LayerSpec,
                       input_shape: Sequence[int | None] | int | None) -> int | None:
    """Params of a layer from its equations; None when the layer type has no formula here, or
    its input's feature size is unknown.

    Args:
        layer_spec: a layer of a :class:`harness.spec.Spec`.
        input_shape: the layer's input shape, batch first (``(batch_size, timesteps, features)``),
            or d, the size of its feature (last) axis, as an int.
    """
    shape: Shape | None = (None, input_shape) if isinstance(input_shape, int) else (
        None if input_shape is None else tuple(input_shape))
    if not has_closed_form(layer_spec):
        return None
    t = kind(layer_spec)
    if t == "Embedding":
        return layer_spec.arg("input_dim") * layer_spec.arg("output_dim")
    if t in ZERO_PARAMS:
        return 0
    wrapped = layer_spec.layer  # not None for a wrapper: has_closed_form says so
    if t == "Bidirectional" and wrapped is not None:
        inner = closed_form_params(wrapped, shape)
        return None if inner is None else 2 * inner
    if t == "TimeDistributed" and wrapped is not None:
        if shape is None or len(shape) < 3:
            return None
        return closed_form_params(wrapped, (shape[0], *shape[2:]))
    d = _features(layer_spec, shape)
    if d is None:
        return None
    bias = bool(layer_spec.arg("use_bias"))
    if t == "Dense":
        units = layer_spec.arg("units")
        return d * units + (units if bias else 0)
    if t in CONVOLUTIONS:
        filters = layer_spec.arg("filters")
        kernel = math.prod(sizes(layer_spec.arg("kernel_size"), CONVOLUTIONS[t]))
        return kernel * (d // layer_spec.arg("groups")) * filters + (filters if bias else 0)
    u = layer_spec.arg("units")
    biases = 0
    if bias:
        biases = 2 if (t == "GRU" and layer_spec.arg("reset_after")) else 1
    return GATES[t] * u * (u + d + biases)


def _features(layer_spec: LayerSpec, shape: Shape | None) -> int | None:
    """d: the size of the input's feature axis (the channel axis of a channels_first conv)."""
    if not shape:
        return None
    if kind(layer_spec) in CONVOLUTIONS and channels_first(layer_spec) and len(shape) > 2:
        return shape[1]
    return shape[-1]


def is_trainable(layer_spec: LayerSpec) -> bool:
    """Whether the layer's weights train (a wrapper's: when it and its layer both do)."""
    if layer_spec.layer is not None:
        return layer_spec.trainable and is_trainable(layer_spec.layer)
    return layer_spec.trainable


def no_closed_form_note(layer_spec: LayerSpec) -> str:
    """Why a layer has no closed-form count: its type, or its input size."""
    if has_closed_form(layer_spec):
        return "no closed form (input size unknown)"
    return "no closed form"
