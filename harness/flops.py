"""Model FLOPs per sample, counted from a spec's architecture (no TensorFlow).

One multiply-add is 2 FLOPs. Per sample, with T timesteps, d input features and u units:

======================  ===========================  =============================================
layer                   forward FLOPs per sample     why
======================  ===========================  =============================================
Embedding               0                            a table look-up (gather), no arithmetic
Dropout                 0                            an elementwise mask, negligible
Dense                   2*d*u (times T on sequences) one (d, u) matrix product per input vector
SimpleRNN               2*T*u*(d+u)                  per step: x_t W (d x u) and h_{t-1} U (u x u)
LSTM                    4 * 2*T*u*(d+u)              4 gates (input, forget, cell, output)
GRU                     3 * 2*T*u*(d+u)              3 gates (update, reset, candidate)
======================  ===========================  =============================================

Bias adds, activations and the gates' elementwise products are left out: they cost O(T*u) per
sample against O(T*u*(d+u)) for the matrix products (under 2% for the book's u = d = 32).

Training FLOPs per sample are ``TRAIN_FACTOR`` (3) times the forward pass: the backward pass
costs about twice the forward (one product for the gradient of the input, one for the gradient
of the weights), the usual estimate (Kaplan et al. 2020, "Scaling Laws for Neural Language
Models", section 2.1). Validation samples cost one forward pass each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .spec import Spec

# forward + backward, the backward pass ~2x the forward
TRAIN_FACTOR = 3
# gate matrices per recurrent cell: one for SimpleRNN, 4 for LSTM, 3 for GRU
GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}


@dataclass(frozen=True)
class LayerFlops:
    """FLOPs of one layer for one sample.

    Attributes:
        name: the layer's name (as :func:`harness.build.layer_names` gives it).
        type: Keras layer class.
        formula: the formula with its numbers filled in, e.g. ``2*500*32*(32+32)``.
        forward: forward-pass FLOPs per sample.
    """

    name: str
    type: str
    formula: str
    forward: int


@dataclass(frozen=True)
class ModelFlops:
    """FLOPs per sample of a whole model.

    Attributes:
        layers: one entry per layer.
        forward: forward-pass FLOPs per sample (inference).
        train: forward + backward FLOPs per training sample (``TRAIN_FACTOR * forward``).
    """

    layers: tuple[LayerFlops, ...]

    @property
    def forward(self) -> int:
        return sum(layer.forward for layer in self.layers)

    @property
    def train(self) -> int:
        return TRAIN_FACTOR * self.forward

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
        }


def model_flops(spec: Spec) -> ModelFlops:
    """Count a spec's FLOPs per sample with the formulas of this module.

    The number of timesteps T is ``data.maxlen`` for sequence input of open length
    (``model.input.shape: [null]``); a multi-hot input ``[num_words]`` has no time axis.

    Raises:
        ValueError: a sequence model whose timesteps are open and whose spec has no
            ``data.maxlen`` (there is nothing to count the steps from).
    """
    from .build import layer_names

    shape = list(spec.model.input.shape)
    time: int | None = None
    features: int | None
    if len(shape) == 1 and spec.model.layers[0].type == "Embedding":
        # (batch_size, timesteps) word indices
        time = shape[0] or (spec.data.maxlen if spec.data else None)
        if time is None:
            raise ValueError(f"{spec.path}: open timesteps and no data.maxlen to count FLOPs from")
        features = None
    else:
        time = shape[0] if len(shape) == 2 else None
        features = shape[-1]

    out = []
    for layer, name in zip(spec.model.layers, layer_names(spec), strict=True):
        kind = layer.type
        if kind == "Embedding":
            features = layer.output_dim
            out.append(LayerFlops(name, kind, "0 (look-up)", 0))
        elif kind == "Dropout":
            out.append(LayerFlops(name, kind, "0", 0))
        elif kind == "Dense":
            steps = time or 1
            prefix = f"{steps}*" if time else ""
            out.append(LayerFlops(name, kind, f"{prefix}2*{features}*{layer.units}",
                                  steps * 2 * features * layer.units))
            features = layer.units
        elif kind in GATES:
            gates, u = GATES[kind], layer.units
            prefix = f"{gates}*" if gates > 1 else ""
            out.append(LayerFlops(name, kind, f"{prefix}2*{time}*{u}*({features}+{u})",
                                  gates * 2 * time * u * (features + u)))
            features = u
            if not layer.return_sequences:
                time = None
        else:  # pragma: no cover - the spec schema admits no other layer type
            raise ValueError(f"no FLOP formula for layer type {kind}")
    return ModelFlops(tuple(out))


def matmul_flops(n: int) -> int:
    """FLOPs of one (n, n) x (n, n) matrix product: n*n dot products of length n, 2*n**3."""
    return 2 * n**3
