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

Modules: ``layers`` (the feed-forward references and activations), ``recurrent`` (SimpleRNN,
LSTM, GRU, Bidirectional), ``forward`` (a spec layer's reference and mask), ``check`` (a whole
model, layer by layer and end to end), ``inputs`` (random inputs or test reviews to check on).
"""

from __future__ import annotations

from ..verify.kinds import MASK_KEEPING
from .check import (
    DEFAULT_ATOL,
    ParityResult,
    ParityRow,
    check_model_parity,
    measure_parity,
    randomize_biases,
)
from .forward import (
    MASK_DROPPING,
    RECURRENT_REFERENCES,
    output_mask,
    reference_forward,
    spec_layers,
)
from .inputs import (
    FLOAT_TIMESTEPS,
    REVIEWS_MAXLEN,
    WORD_TIMESTEPS,
    open_length,
    random_inputs,
    review_inputs,
)
from .layers import (
    ACTIVATIONS,
    NoReference,
    activation,
    check_shape,
    conv1d,
    dense,
    embedding,
    flatten,
    global_pooling1d,
    pooling1d,
    time_distributed,
)
from .recurrent import MERGE_MODES, bidirectional, gru, lstm, simple_rnn

__all__ = [
    "ACTIVATIONS",
    "DEFAULT_ATOL",
    "FLOAT_TIMESTEPS",
    "MASK_DROPPING",
    "MASK_KEEPING",
    "MERGE_MODES",
    "RECURRENT_REFERENCES",
    "REVIEWS_MAXLEN",
    "WORD_TIMESTEPS",
    "NoReference",
    "ParityResult",
    "ParityRow",
    "activation",
    "bidirectional",
    "check_model_parity",
    "check_shape",
    "conv1d",
    "dense",
    "embedding",
    "flatten",
    "global_pooling1d",
    "gru",
    "lstm",
    "measure_parity",
    "open_length",
    "pooling1d",
    "output_mask",
    "random_inputs",
    "randomize_biases",
    "reference_forward",
    "review_inputs",
    "simple_rnn",
    "spec_layers",
    "time_distributed",
]
