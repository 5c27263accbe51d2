"""Whether an LSTM or GRU layer of a spec can run on the cuDNN kernel, and which kernel ran.

The rules are Keras 3's with the TensorFlow backend (``keras/src/layers/rnn/lstm.py`` and
``gru.py``, ``inner_loop``; ``keras/src/backend/tensorflow/rnn.py``, ``cudnn_ok``): the fused
cuDNN kernel runs on a GPU only when

- ``activation`` is tanh and ``recurrent_activation`` is sigmoid,
- ``recurrent_dropout`` is 0 (``dropout`` on the inputs is fine),
- ``unroll`` is False and ``use_bias`` is True,
- for a GRU, ``reset_after`` is True (the Keras 3 default),
- ``use_cudnn`` is not False (``"auto"``, the default, falls back to the generic loop when a
  rule is broken),
- and a mask, if any, marks right-padded sequences. Keras 3 does not fall back for a mask of
  left-padded input: cuDNN's sequence lengths assume right padding, so the run stops at a
  ``tf.Assert``. Here a mask comes from ``Embedding(mask_zero=True)``; ``data.padding: pre``
  (the book's, and the Keras default) is left padding.

When the kernel is cuDNN, Keras also turns XLA off for the model (``supports_jit = False``: the
cuDNN op has no XLA lowering), so ``jit_compile=True`` becomes False on a GPU.

A ``Bidirectional`` (or ``TimeDistributed``) LSTM/GRU follows the rules of the layer it wraps:
with the TensorFlow backend its forward and backward copies run as two LSTM/GRU layers (Keras's
fused bidirectional kernel is not implemented there). Layers of other types have no cuDNN kernel
to choose and are not listed (Conv1D, pooling, Flatten, Dense, SimpleRNN); a factory model, whose
layers are not in the spec, is listed as not checked.

This module does not import TensorFlow except in :func:`kernel_in_use`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .verify.kinds import MASK_KEEPING, WRAPPERS

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from .spec import LayerSpec, Spec

CUDNN_LAYER_TYPES = ("LSTM", "GRU")


def cudnn_eligibility(spec: Spec) -> list[dict[str, Any]]:
    """Check each LSTM and GRU layer of a spec against the cuDNN rules, wrapped ones too.

    A Bidirectional LSTM/GRU runs its forward and backward copies as two layers under these same
    rules (Keras's fused bidirectional kernel is not implemented for the TensorFlow backend), so
    it is checked as the layer it wraps, and listed as ``Bidirectional(LSTM)``. Other layer types
    have no cuDNN kernel to choose (Conv1D, pooling, Flatten, Dense, SimpleRNN) and are not
    listed.

    Returns:
        One dict per LSTM/GRU layer: ``layer`` (name), ``type``, ``eligible`` (bool) and
        ``reasons`` (the rules it breaks, empty when eligible). Specs without such layers give
        an empty list. A factory model, whose layers are not in the spec, gives one entry
        ``eligible: None`` whose reason says it is not checked.
    """
    from .build import layer_names

    if spec.model.layers is None:
        return [{"layer": "(factory model)", "type": "-", "eligible": None,
                 "reasons": [f"not checked: a factory model's ({spec.model.factory}) layers "
                             "are not in the spec"]}]
    masked = False
    padding = getattr(spec.data, "padding", "pre")
    found = []
    for layer, name in zip(spec.model.layers, layer_names(spec), strict=True):
        kind = layer.signature.class_name
        rnn = layer.layer if kind in WRAPPERS and layer.layer is not None else layer
        if rnn.signature.class_name in CUDNN_LAYER_TYPES:
            reasons = _broken_rules(rnn)
            if masked and padding != "post":
                reasons.append("masked input (Embedding mask_zero=True) with data.padding "
                               f"'{padding}': cuDNN needs right-padded (padding: post) sequences")
            found.append({"layer": name, "type": layer.describe(), "eligible": not reasons,
                          "reasons": reasons})
        masked = _keeps_mask(layer, masked)
    return found


def _broken_rules(layer: LayerSpec) -> list[str]:
    """The cuDNN rules an LSTM or GRU spec layer breaks (its arguments or their defaults)."""
    reasons = []
    act, rec = layer.arg("activation"), layer.arg("recurrent_activation")
    if act != "tanh":
        reasons.append(f"activation is {act!r}, cuDNN needs 'tanh'")
    if rec != "sigmoid":
        reasons.append(f"recurrent_activation is {rec!r}, cuDNN needs 'sigmoid'")
    if layer.arg("recurrent_dropout"):
        reasons.append(f"recurrent_dropout is {layer.arg('recurrent_dropout')}, cuDNN needs 0")
    if layer.arg("unroll"):
        reasons.append("unroll is True, cuDNN needs False")
    if not layer.arg("use_bias"):
        reasons.append("use_bias is False, cuDNN needs True")
    if layer.signature.class_name == "GRU" and not layer.arg("reset_after"):
        reasons.append("reset_after is False, cuDNN needs True")
    if layer.arg("use_cudnn") is False:
        reasons.append("use_cudnn is False")
    return reasons


def _keeps_mask(layer: LayerSpec, masked: bool) -> bool:
    """Whether the input of the next layer is masked."""
    kind = layer.signature.class_name
    if kind == "Embedding":
        return bool(layer.arg("mask_zero"))
    if kind in CUDNN_LAYER_TYPES or kind == "SimpleRNN":
        return masked and bool(layer.arg("return_sequences"))
    if kind == "Bidirectional" and layer.layer is not None:
        return masked and bool(layer.layer.arg("return_sequences"))
    return masked and kind in MASK_KEEPING


def kernel_in_use(model: keras.Model, spec: Spec, device: str) -> dict[str, str]:
    """Which kernel each LSTM/GRU layer (or Bidirectional/TimeDistributed one) of a built model
    runs on ``device``.

    Traces one training-mode call of each such layer under ``tf.device(device)`` and looks for
    a ``CudnnRNN*`` op in the graph (and the functions it calls).

    Args:
        model: a built model of ``spec``.
        device: a TensorFlow device name, e.g. ``/CPU:0`` or ``/GPU:0``.

    Returns:
        ``{layer name: "cudnn" | "generic"}``; ``generic`` is Keras's own step loop
        (a ``tf.while_loop`` over the timesteps, or an XLA loop under ``jit_compile=True``).
    """
    import tensorflow as tf

    kinds = {}
    for layer in model.layers:
        inner = getattr(layer, "forward_layer", None) or getattr(layer, "layer", None)
        if type(layer).__name__ not in CUDNN_LAYER_TYPES and \
                type(inner).__name__ not in CUDNN_LAYER_TYPES:
            continue
        inputs = getattr(layer, "input", None)
        if isinstance(inputs, (list, tuple)):  # Bidirectional: [sequences, initial state]
            inputs = inputs[0]
        shape = inputs.shape if inputs is not None else (None, None, None)
        signature = tf.TensorSpec((None, *shape[1:]), tf.float32)
        with tf.device(device):
            graph = tf.function(lambda x, lay=layer: lay(x, training=True)) \
                .get_concrete_function(signature).graph
        graph_def = graph.as_graph_def()
        ops = {node.op for node in graph_def.node}
        for function in graph_def.library.function:
            ops.update(node.op for node in function.node_def)
        kinds[layer.name] = "cudnn" if any(op.startswith("CudnnRNN") for op in ops) \
            else "generic"
    return kinds
