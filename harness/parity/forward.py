"""A spec layer's NumPy reference: the reference function of its type, called with its arguments,
and the mask it passes on."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import UsageError
from ..verify.kinds import DROPOUTS, GATES, MASK_KEEPING, kind
from .layers import (
    NoReference,
    activation,
    conv1d,
    dense,
    embedding,
    flatten,
    global_pooling1d,
    pooling1d,
    time_distributed,
)
from .recurrent import bidirectional, gru, lstm, simple_rnn

if TYPE_CHECKING:  # pragma: no cover
    from ..spec import LayerSpec, Spec

RECURRENT_REFERENCES: dict[str, Callable[..., np.ndarray]] = {
    "SimpleRNN": simple_rnn, "LSTM": lstm, "GRU": gru}


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


# Layers that drop their input's mask: no masking support (Conv1D, pooling, Flatten), or a
# compute_mask of None. (The layers that keep it: MASK_KEEPING of harness.verify.kinds.)
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


def spec_layers(spec: Spec) -> list[LayerSpec]:
    """The spec's layer list, to pair with the NumPy references.

    Raises:
        UsageError: a factory model (no layer list to pair with NumPy references).
    """
    if spec.model.layers is None:
        raise UsageError(f"{spec.path}: a factory model ({spec.model.factory}) has no layer "
                         "list in the spec, so it has no NumPy references; verify it without "
                         "--parity")
    return spec.model.layers
