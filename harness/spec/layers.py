"""The ``model.layers`` entries of a spec: a Keras layer class by name with its arguments,
checked against the committed table of Keras's layer signatures (no TensorFlow)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..keras_names import LayerSignature, keras_names
from .base import Frozen, NonNegativeInt, Shape, did_you_mean

# Keras 2 arguments that Keras 3 removed (or that a spec gives elsewhere), with what to write.
REMOVED_KERAS2_ARGS = {
    "input_length": "remove it: Keras 3 takes the sequence length from the model input "
    "(model.input.shape) and data.maxlen",
    "input_shape": "give the shape once, as model.input.shape (batch dimension left out)",
    "input_dim": "give the input once, as model.input.shape (batch dimension left out)",
    "batch_input_shape": "give the shape once, as model.input.shape (batch dimension left out)",
}
# Layer arguments whose string value Keras resolves with keras.activations.get().
ACTIVATION_ARGS = ("activation", "recurrent_activation")


class LayerExpect(Frozen):
    """What ``model.summary()`` must show for one layer."""

    output_shape: Shape = Field(description="output shape, batch dimension first, null = open")
    params: NonNegativeInt = Field(description="params of the layer (count_params())")
    trainable_params: NonNegativeInt | None = None


class Pretrained(Frozen):
    """Weights loaded into an Embedding before training (notebook 6.1's frozen GloVe layer).

    ``file`` is a GloVe-format text file (a word, then its vector, per line); a relative name is
    looked up as :mod:`harness.data` says (``$HARNESS_GLOVE``, ``$HARNESS_DATA_DIR``).
    """

    format: Literal["glove"] = "glove"
    file: Annotated[str, Field(min_length=1)]


# Keys of a layer mapping that are the harness's own; every other key is a Keras argument.
HARNESS_LAYER_KEYS = ("type", "name", "trainable", "expect", "layer", "pretrained")


class LayerSpec(BaseModel):
    """One layer: a Keras layer class by its class name, with its constructor arguments.

    The harness's own keys are ``type``, ``name``, ``trainable``, ``expect``, ``pretrained``
    and, for a wrapper (``Bidirectional``, ``TimeDistributed``), ``layer``: the wrapped layer as
    a nested mapping. Every other key is an argument of the Keras constructor, checked against
    the committed table of Keras's layer signatures (:mod:`harness.keras_names`); its value is
    Keras's to judge when the layer is built (``harness verify``).
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    type: Annotated[str, Field(min_length=1)]
    name: str | None = None
    trainable: bool = True
    expect: LayerExpect | None = None
    layer: LayerSpec | None = None
    pretrained: Pretrained | None = None

    @model_validator(mode="after")
    def _against_keras(self) -> LayerSpec:
        problems = layer_problems(self)
        if problems:
            raise ValueError("\n".join(problems))  # describe_error puts each on its path
        return self

    @property
    def args(self) -> dict[str, Any]:
        """The Keras constructor arguments the spec wrote (Keras defaults for the rest)."""
        return dict(self.model_extra or {})

    def arg(self, name: str) -> Any:
        """An argument's value: as the spec wrote it, else its Keras default (None when it has
        none). ``layer.arg("return_sequences")`` is False for an LSTM that does not set it."""
        extra = self.model_extra or {}
        if name in extra:
            return extra[name]
        default = self.signature.args.get(name)
        return None if default == "<required>" or isinstance(default, dict) else default

    @property
    def signature(self) -> LayerSignature:
        return keras_names().layers[self.type]

    def keras_config(self) -> dict[str, Any]:
        """The layer's Keras config: its arguments, ``trainable: false`` when set, and a wrapped
        layer as Keras serializes one (``{"class_name": ..., "config": ...}``)."""
        config = self.args
        if not self.trainable:
            config["trainable"] = False
        if self.name:
            config["name"] = self.name
        if self.layer is not None:
            config["layer"] = {"module": "keras.layers", "class_name": self.layer.type,
                               "config": self.layer.keras_config(), "registered_name": None}
        return config

    def hashed(self) -> dict[str, Any]:
        """What decides this layer's results: type, the arguments that differ from Keras's
        defaults, name, trainable, the wrapped layer; not ``expect``. A spec that writes a default
        out (``reset_after: true``) hashes as one that leaves it to Keras."""
        signature = keras_names().layers.get(self.type)
        out: dict[str, Any] = {"type": self.type}
        for key, value in self.args.items():
            if signature is None or not signature.is_default(key, value):
                out[key] = value
        if self.name:
            out["name"] = self.name
        if not self.trainable:
            out["trainable"] = False
        if self.layer is not None:
            out["layer"] = self.layer.hashed()
        if self.pretrained is not None:
            out["pretrained"] = self.pretrained.model_dump(mode="json")
        return out

    def describe(self) -> str:
        """``Bidirectional(LSTM)``, ``Conv1D``: the type as tables show it."""
        return self.type if self.layer is None else f"{self.type}({self.layer.describe()})"


def layer_problems(layer: LayerSpec) -> list[str]:
    """Every problem of one layer mapping against the committed Keras table (no TensorFlow)."""
    names = keras_names()
    signature = names.layers.get(layer.type)
    if signature is None:
        hint = did_you_mean(layer.type, names.layers)
        return [f"type: unknown layer type '{layer.type}'{hint or ' (not a keras.layers class)'}"]
    problems = []
    for key, value in layer.args.items():
        if key in REMOVED_KERAS2_ARGS and key not in signature.args:
            problems.append(f"'{key}' is a Keras 2 argument that Keras 3 removed; "
                            f"{REMOVED_KERAS2_ARGS[key]}")
        elif not signature.accepts(key) or key in HARNESS_LAYER_KEYS:
            hint = did_you_mean(key, [*signature.all_args(), *HARNESS_LAYER_KEYS])
            problems.append(f"{key}: unknown argument of {layer.type}{hint}")
        elif key in ACTIVATION_ARGS and isinstance(value, str) and value not in names.activations:
            hint = did_you_mean(value, names.activations)
            problems.append(f"{key}: unknown activation '{value}'{hint}")
    missing = [a for a in signature.required if a not in layer.args and a != "layer"]
    if missing:
        problems.append(f"{layer.type} needs {', '.join(missing)}")
    if signature.wraps and layer.layer is None:
        problems.append(f"layer: {layer.type} wraps a layer; give it as a nested mapping, e.g. "
                        f"layer: {{type: LSTM, units: 32}}")
    if not signature.wraps and layer.layer is not None:
        problems.append(f"layer: {layer.type} does not wrap a layer (wrappers: "
                        f"{', '.join(n for n, s in names.layers.items() if s.wraps)})")
    if layer.pretrained is not None and layer.type != "Embedding":
        problems.append(f"pretrained: only an Embedding takes pretrained vectors, not a "
                        f"{layer.type}")
    return problems


def expected_rank(layer: LayerSpec, input_rank: int) -> int | None:
    """Rank of a layer's output (batch included) for an input of ``input_rank``; None when the
    harness has no rule for this layer type (its shape is then only checked by Keras)."""
    t, args = layer.type, layer.args
    if t == "Embedding":
        return input_rank + 1
    if t in ("SimpleRNN", "LSTM", "GRU"):
        return 3 if args.get("return_sequences", False) else 2
    if t == "Bidirectional" and layer.layer is not None:
        return expected_rank(layer.layer, input_rank)
    if t == "TimeDistributed" and layer.layer is not None:
        inner = expected_rank(layer.layer, input_rank - 1)
        return None if inner is None else inner + 1
    if t == "Flatten":
        return 2
    if t.startswith(("GlobalMaxPool", "GlobalAveragePool", "GlobalAvgPool")):
        return input_rank if args.get("keepdims", False) else input_rank - 1
    if t in ("Dense", "Dropout", "Activation") or t.startswith(
            ("Conv", "MaxPool", "AveragePool", "AvgPool", "SpatialDropout")):
        return input_rank
    return None
