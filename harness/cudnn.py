"""Whether an LSTM or GRU layer of a spec can run on the cuDNN kernel, and which kernel ran.

The rules are Keras 3's with the TensorFlow backend (``keras/src/layers/rnn/lstm.py`` and
``gru.py``, ``inner_loop``; ``keras/src/backend/tensorflow/rnn.py``, ``cudnn_ok``): the fused
cuDNN kernel runs on a GPU only when

- ``activation`` is tanh and ``recurrent_activation`` is sigmoid,
- ``recurrent_dropout`` is 0 (``dropout`` on the inputs is fine),
- ``unroll`` is False and ``use_bias`` is True,
- for a GRU, ``reset_after`` is True (the Keras 3 default),
- and a mask, if any, marks right-padded sequences. Keras 3 does not fall back for a mask of
  left-padded input: cuDNN's sequence lengths assume right padding, so the run stops at a
  ``tf.Assert``. Here a mask comes from ``Embedding(mask_zero=True)``; ``data.padding: pre``
  (the book's, and the Keras default) is left padding.

When the kernel is cuDNN, Keras also turns XLA off for the model (``supports_jit = False``: the
cuDNN op has no XLA lowering), so ``jit_compile=True`` becomes False on a GPU.

This module does not import TensorFlow except in :func:`kernel_in_use`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from .spec import Spec

CUDNN_LAYER_TYPES = ("LSTM", "GRU")


def cudnn_eligibility(spec: Spec) -> list[dict[str, Any]]:
    """Check each LSTM and GRU layer of a spec against the cuDNN rules.

    Returns:
        One dict per LSTM/GRU layer: ``layer`` (name), ``type``, ``eligible`` (bool) and
        ``reasons`` (the rules it breaks, empty when eligible). Specs without such layers give
        an empty list.
    """
    from .build import layer_names

    masked = False
    padding = spec.data.padding if spec.data else "pre"
    found = []
    for layer, name in zip(spec.model.layers, layer_names(spec), strict=True):
        if layer.type == "Embedding" and getattr(layer, "mask_zero", False):
            masked = True
        if layer.type not in CUDNN_LAYER_TYPES:
            continue
        reasons = []
        if layer.activation != "tanh":
            reasons.append(f"activation is {layer.activation!r}, cuDNN needs 'tanh'")
        if layer.recurrent_activation != "sigmoid":
            reasons.append(f"recurrent_activation is {layer.recurrent_activation!r}, "
                           "cuDNN needs 'sigmoid'")
        if layer.recurrent_dropout:
            reasons.append(f"recurrent_dropout is {layer.recurrent_dropout}, cuDNN needs 0")
        if getattr(layer, "unroll", False):
            reasons.append("unroll is True, cuDNN needs False")
        if not layer.use_bias:
            reasons.append("use_bias is False, cuDNN needs True")
        if layer.type == "GRU" and not layer.reset_after:
            reasons.append("reset_after is False, cuDNN needs True")
        if masked and padding != "post":
            reasons.append("masked input (Embedding mask_zero=True) with data.padding "
                           f"'{padding}': cuDNN needs right-padded (padding: post) sequences")
        found.append({"layer": name, "type": layer.type, "eligible": not reasons,
                      "reasons": reasons})
    return found


def kernel_in_use(model: keras.Model, spec: Spec, device: str) -> dict[str, str]:
    """Which kernel each LSTM/GRU layer of a built model runs on ``device``.

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
        if type(layer).__name__ not in CUDNN_LAYER_TYPES:
            continue
        shape = layer.input.shape if hasattr(layer, "input") else (None, None, None)
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
