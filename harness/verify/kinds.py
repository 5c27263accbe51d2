"""Layer types by what the rules of this package do with them: recurrent cells and their gate
matrices, convolutions and poolings by dimension, layers without weights, layers that keep their
input's shape or mask. Shared by the shape rules, the closed forms, FLOPs, cuDNN eligibility and
the NumPy references."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..spec import LayerSpec

# Gate matrices per recurrent cell: one for SimpleRNN, 4 for LSTM, 3 for GRU.
GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
CONVOLUTIONS = {"Conv1D": 1, "Conv2D": 2, "Conv3D": 3}
POOLINGS = {f"{op}Pooling{n}D": n for op in ("Max", "Average") for n in (1, 2, 3)}
GLOBAL_POOLINGS = {f"Global{op}Pooling{n}D": n for op in ("Max", "Average") for n in (1, 2, 3)}
DROPOUTS = frozenset({"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
                      "GaussianNoise", "GaussianDropout", "AlphaDropout"})
# Layers whose output has the shape of their input.
SHAPE_KEEPING = DROPOUTS | {"Activation", "Masking", "ReLU", "LeakyReLU", "ELU", "Softmax",
                            "LayerNormalization", "BatchNormalization", "UnitNormalization"}
# Layers without weights.
ZERO_PARAMS = (DROPOUTS | {"Activation", "Masking", "ReLU", "LeakyReLU", "ELU", "Softmax",
                           "UnitNormalization", "Flatten"}
               | set(POOLINGS) | set(GLOBAL_POOLINGS))
WRAPPERS = ("Bidirectional", "TimeDistributed")
# Layers that pass their input's mask on unchanged (Keras: supports_masking with the default
# compute_mask); the recurrent ones and Bidirectional only with return_sequences. Any other
# layer drops it (Conv1D, pooling and Flatten do not support masking; a global pooling's output
# has no mask).
MASK_KEEPING = frozenset({"Dense", "Activation", "TimeDistributed", *DROPOUTS})


def kind(layer_spec: LayerSpec) -> str:
    """The Keras class a spec layer names (``MaxPooling1D`` for ``MaxPool1D``)."""
    try:
        return layer_spec.signature.class_name
    except KeyError:
        return layer_spec.type
