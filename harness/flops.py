"""Model FLOPs per sample, counted from a spec's architecture (no TensorFlow).

One multiply-add is 2 FLOPs. Per sample, with T timesteps, d input features (channels), u units,
P output positions (timesteps of a sequence, output steps of a convolution or pooling):

=========================  ================================  ======================================
layer                      forward FLOPs per sample          why
=========================  ================================  ======================================
Embedding                  0                                 a table look-up (gather), no arithmetic
Dropout, SpatialDropout,   0                                 an elementwise mask (a reshape),
Activation, Flatten                                          negligible
Dense                      2*d*u (times P on sequences)      one (d, u) matrix product per vector
SimpleRNN                  2*T*u*(d+u)                       per step: x_t W (d x u), h_{t-1} U
LSTM                       4 * 2*T*u*(d+u)                   4 gates (input, forget, cell, output)
GRU                        3 * 2*T*u*(d+u)                   3 gates (update, reset, candidate)
Conv1D/2D/3D(f, k)         2*P*prod(k)*(d/groups)*f          a (prod(k)*d/groups, f) product per
                                                             output position
MaxPooling, AveragePooling P*prod(pool_size)*d               one comparison (add) per pooled value
GlobalMax/AveragePooling   T*d                               one per input value
Bidirectional(layer)       2 * the wrapped layer             a forward and a backward copy
TimeDistributed(layer)     T * the wrapped layer             the layer on each timestep
=========================  ================================  ======================================

Bias adds, activations and the gates' elementwise products are left out: they cost O(T*u) per
sample against O(T*u*(d+u)) for the matrix products (under 2% for the book's u = d = 32).

A layer type with no formula here (``LayerNormalization``, say), or whose input shape is not
known, is not counted as 0 silently: its formula reads ``not counted: ...`` and it is listed in
:attr:`ModelFlops.not_counted` (and ``as_dict()["not_counted"]``).

Training FLOPs per sample are ``TRAIN_FACTOR`` (3) times the forward pass: the backward pass
costs about twice the forward (one product for the gradient of the input, one for the gradient
of the weights), the usual estimate (Kaplan et al. 2020, "Scaling Laws for Neural Language
Models", section 2.1). Validation samples cost one forward pass each.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .verify.kinds import CONVOLUTIONS, DROPOUTS, GATES, GLOBAL_POOLINGS, POOLINGS, kind
from .verify.shapes import Shape, layer_shapes, output_shape, sizes, split_channels

if TYPE_CHECKING:  # pragma: no cover
    from .spec import LayerSpec, Spec

# forward + backward, the backward pass ~2x the forward
TRAIN_FACTOR = 3
# layers without arithmetic worth counting
FREE = {"Embedding": "0 (look-up)", "Flatten": "0 (reshape)", "Activation": "0 (elementwise)",
        **{t: "0" for t in DROPOUTS}}


@dataclass(frozen=True)
class LayerFlops:
    """FLOPs of one layer for one sample.

    Attributes:
        name: the layer's name (as :func:`harness.build.layer_names` gives it).
        type: Keras layer class (``Bidirectional(GRU)`` for a wrapper).
        formula: the formula with its numbers filled in, e.g. ``2*500*32*(32+32)``, or
            ``not counted: why``.
        forward: forward-pass FLOPs per sample (0 when not counted).
        counted: False for a layer this module has no formula (or input shape) for.
    """

    name: str
    type: str
    formula: str
    forward: int
    counted: bool = True


@dataclass(frozen=True)
class ModelFlops:
    """FLOPs per sample of a whole model.

    Attributes:
        layers: one entry per layer.
        notes: what is not counted as a whole (a factory model).
        forward: forward-pass FLOPs per sample (inference) of the counted layers.
        train: forward + backward FLOPs per training sample (``TRAIN_FACTOR * forward``).
    """

    layers: tuple[LayerFlops, ...]
    notes: tuple[str, ...] = ()

    @property
    def forward(self) -> int:
        return sum(layer.forward for layer in self.layers)

    @property
    def train(self) -> int:
        return TRAIN_FACTOR * self.forward

    @property
    def not_counted(self) -> list[str]:
        """``name (type): why`` of each layer left out of the totals."""
        return [f"{x.name} ({x.type}): {x.formula.removeprefix('not counted: ')}"
                for x in self.layers if not x.counted]

    def epoch_flops(self, train_samples: int, val_samples: int) -> int:
        """FLOPs of one epoch: training samples forward and backward, validation forward."""
        return self.train * train_samples + self.forward * val_samples

    def as_dict(self) -> dict:
        return {
            "forward_per_sample": self.forward,
            "train_per_sample": self.train,
            "train_factor": TRAIN_FACTOR,
            "layers": [{"name": x.name, "type": x.type, "formula": x.formula,
                        "forward_per_sample": x.forward} for x in self.layers],
            "not_counted": [*self.notes, *self.not_counted],
        }


class NotCounted(ValueError):
    """No FLOP formula for a layer (its type, or its input shape is not known)."""


def timesteps(spec: Spec) -> int | None:
    """T for an open timestep axis: ``data.maxlen`` (IMDB), the window length
    ``ceil(lookback / step)`` (Jena), else None."""
    data = spec.data
    if data is None:
        return None
    if data.dataset == "jena_climate":
        return len(range(0, data.lookback, data.step))
    return getattr(data, "maxlen", None)


def model_flops(spec: Spec) -> ModelFlops:
    """Count a spec's FLOPs per sample with the formulas of this module.

    The number of timesteps T of an open input axis (``model.input.shape: [null]`` word indices,
    ``[null, 14]`` a timeseries) is :func:`timesteps`; a multi-hot input ``[num_words]`` has no
    time axis.

    Raises:
        ValueError: an input with open timesteps whose spec has no ``data.maxlen`` (or Jena
            window) to count the steps from.
    """
    from .build import layer_names

    if spec.model.layers is None:
        return ModelFlops((), (f"factory model ({spec.model.factory}): its layers are not in "
                               "the spec, so no FLOPs are counted",))
    assert spec.model.input is not None
    shape = list(spec.model.input.shape)
    if None in shape:
        steps = timesteps(spec)
        if steps is None:
            raise ValueError(f"{spec.path}: open timesteps and no data.maxlen to count FLOPs from")
        shape = [steps if d is None else d for d in shape]
    out = []
    shapes = layer_shapes(spec.model.layers, shape)
    for layer, name, (inputs, _) in zip(spec.model.layers, layer_names(spec), shapes,
                                        strict=True):
        try:
            formula, forward = layer_flops(layer, inputs)
        except NotCounted as exc:
            out.append(LayerFlops(name, layer.describe(), f"not counted: {exc}", 0, False))
        else:
            out.append(LayerFlops(name, layer.describe(), formula, forward))
    return ModelFlops(tuple(out))


def layer_flops(layer: LayerSpec, inputs: Shape | None) -> tuple[str, int]:
    """``(formula, forward FLOPs per sample)`` of one layer on an input of shape ``inputs``
    (batch first, every other dimension known).

    Raises:
        NotCounted: no formula for the layer type, or the input shape is not known.
    """
    t = kind(layer)
    if t in FREE:
        return FREE[t], 0
    if inputs is None:
        raise NotCounted("input shape not known (a layer before it has no shape rule)")
    if None in inputs[1:]:
        raise NotCounted(f"input shape {inputs} has an open dimension")
    shape = _known_dims(inputs[1:])  # without the batch dimension
    arg = layer.arg
    if t == "Dense":
        d, u, positions = shape[-1], arg("units"), math.prod(shape[:-1])
        prefix = f"{positions}*" if len(shape) > 1 else ""
        return f"{prefix}2*{d}*{u}", positions * 2 * d * u
    if t in GATES:
        if len(shape) != 2:
            raise NotCounted(f"a {t} needs (batch_size, timesteps, features), got {inputs}")
        gates, u, (steps, d) = GATES[t], arg("units"), shape
        prefix = f"{gates}*" if gates > 1 else ""
        return f"{prefix}2*{steps}*{u}*({d}+{u})", gates * 2 * steps * u * (d + u)
    if t == "Bidirectional" and layer.layer is not None:
        formula, forward = layer_flops(layer.layer, inputs)
        return f"2*({formula})", 2 * forward
    if t == "TimeDistributed" and layer.layer is not None and len(shape) >= 2:
        formula, forward = layer_flops(layer.layer, (inputs[0], *inputs[2:]))
        return f"{shape[0]}*({formula})", shape[0] * forward
    if t in CONVOLUTIONS or t in POOLINGS or t in GLOBAL_POOLINGS:
        return _window_flops(layer, t, inputs)
    raise NotCounted(f"no FLOP formula for {layer.describe()}")


def _window_flops(layer: LayerSpec, t: str, inputs: Shape) -> tuple[str, int]:
    """Convolutions and poolings: per output position, a window of the input."""
    n = CONVOLUTIONS.get(t) or POOLINGS.get(t) or GLOBAL_POOLINGS[t]
    split = split_channels(layer, inputs, n)
    outputs = output_shape(layer, inputs)
    if split is None or outputs is None:
        raise NotCounted(f"a {t} needs a rank {n + 2} input, got {inputs}")
    spatial, (d,) = _known_dims(split[0]), _known_dims((split[1],))
    if t in GLOBAL_POOLINGS:
        positions = math.prod(spatial)
        return f"{positions}*{d}", positions * d
    out_split = split_channels(layer, outputs, n)  # a window keeps the rank
    if out_split is None:
        raise NotCounted(f"a {t} outputs {outputs}, not rank {n + 2}")
    positions = math.prod(_known_dims(out_split[0]))
    if t in POOLINGS:
        window = math.prod(sizes(layer.arg("pool_size"), n))
        return f"{positions}*{window}*{d}", positions * window * d
    window = math.prod(sizes(layer.arg("kernel_size"), n))
    per_group, filters = d // layer.arg("groups"), layer.arg("filters")
    return (f"2*{positions}*{window}*{per_group}*{filters}",
            2 * positions * window * per_group * filters)


def _known_dims(dims: Sequence[int | None]) -> tuple[int, ...]:
    """The dims as ints; an open one (None) cannot be counted.

    Raises:
        NotCounted: a dim is None.
    """
    if None in dims:
        raise NotCounted(f"shape {tuple(dims)} has an open dimension")
    return tuple(int(d) for d in dims if d is not None)


def matmul_flops(n: int) -> int:
    """FLOPs of one (n, n) x (n, n) matrix product: n*n dot products of length n, 2*n**3."""
    return 2 * n**3
