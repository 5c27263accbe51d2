"""Load and validate spec files into typed, frozen objects.

A spec is a YAML file that declares one documented model: its layers with the expected output
shape and params of each, the data and training setup, the accuracy band, and the published
reference figures. :func:`load_spec` parses it once into a :class:`Spec`; the rest of the
pipeline reads attributes, never dicts.

This module does not import TensorFlow: ``harness validate`` checks a catalog in well under a
second.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import SpecError
from .keras_names import LayerSignature, keras_names

PositiveInt = Annotated[int, Field(gt=0, strict=True)]
NonNegativeInt = Annotated[int, Field(ge=0, strict=True)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegativeFloat = Annotated[float, Field(ge=0.0)]
# An output shape as Keras prints it, batch dimension first: [null, null, 32].
Shape = list[Annotated[int, Field(gt=0, strict=True)] | None]

# Keras 2 arguments that Keras 3 removed (or that a spec gives elsewhere), with what to write.
REMOVED_KERAS2_ARGS = {
    "input_length": "remove it: Keras 3 takes the sequence length from the model input "
    "(model.input.shape) and data.maxlen",
    "input_shape": "give the shape once, as model.input.shape (batch dimension left out)",
    "input_dim": "give the input once, as model.input.shape (batch dimension left out)",
    "batch_input_shape": "give the shape once, as model.input.shape (batch dimension left out)",
}
# Keras 2 arguments of compile/optimizers renamed in Keras 3.
RENAMED_KERAS2_TRAIN = {"lr": "learning_rate"}
# Layer arguments whose string value Keras resolves with keras.activations.get().
ACTIVATION_ARGS = ("activation", "recurrent_activation")


def _known(kind: str, names: Callable[[], tuple[str, ...]]):
    """A validator: the value must be one of ``names()`` (the committed Keras table)."""

    def check(value: str) -> str:
        known = names()
        if value not in known:
            hint = _did_you_mean(value, known) or f" (known: {', '.join(known)})"
            raise ValueError(f"unknown {kind} '{value}'{hint}")
        return value

    return AfterValidator(check)


Optimizer = Annotated[str, _known("optimizer", lambda: keras_names().optimizers)]
Loss = Annotated[str, _known("loss", lambda: keras_names().losses)]
Metric = Annotated[str, _known("metric", lambda: keras_names().metrics)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LayerExpect(_Frozen):
    """What ``model.summary()`` must show for one layer."""

    output_shape: Shape = Field(description="output shape, batch dimension first, null = open")
    params: NonNegativeInt = Field(description="params of the layer (count_params())")
    trainable_params: NonNegativeInt | None = None


class Pretrained(_Frozen):
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
            raise ValueError("\n".join(problems))  # _describe puts each on its path
        return self

    @property
    def args(self) -> dict[str, Any]:
        """The Keras constructor arguments the spec wrote (Keras defaults for the rest)."""
        return dict(self.model_extra or {})

    def arg(self, name: str) -> Any:
        """An argument's value: as the spec wrote it, else its Keras default (None when it has
        none). ``layer.arg("return_sequences")`` is False for an LSTM that does not set it."""
        if name in (self.model_extra or {}):
            return self.model_extra[name]
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
        hint = _did_you_mean(layer.type, names.layers)
        return [f"type: unknown layer type '{layer.type}'{hint or ' (not a keras.layers class)'}"]
    problems = []
    for key, value in layer.args.items():
        if key in REMOVED_KERAS2_ARGS and key not in signature.args:
            problems.append(f"'{key}' is a Keras 2 argument that Keras 3 removed; "
                            f"{REMOVED_KERAS2_ARGS[key]}")
        elif not signature.accepts(key) or key in HARNESS_LAYER_KEYS:
            hint = _did_you_mean(key, [*signature.all_args(), *HARNESS_LAYER_KEYS])
            problems.append(f"{key}: unknown argument of {layer.type}{hint}")
        elif key in ACTIVATION_ARGS and isinstance(value, str) and value not in names.activations:
            hint = _did_you_mean(value, names.activations)
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


class ModelInput(_Frozen):
    """The model's input, batch dimension left out: ``[null]`` for word indices of any length."""

    shape: Shape
    dtype: Literal["int32", "int64", "float32"] = "int32"


class ModelExpect(_Frozen):
    total_params: NonNegativeInt
    trainable_params: NonNegativeInt | None = None
    non_trainable_params: NonNegativeInt | None = None
    layers: dict[str, LayerExpect] | None = Field(
        default=None, description="a factory model's layers, by layer name")


FACTORY = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class ModelSpec(_Frozen):
    """A layer list (built as a ``keras.Sequential`` on ``input``), or a factory.

    ``factory: "package.module:function"`` names a Python function that returns a Keras model
    (a functional graph, a subclassed model), called with ``factory_args``; the spec still
    declares the expectations (``expect``, with ``expect.layers`` by layer name), data, training
    and band. The factory is imported only when the model is built (``harness verify``).
    """

    input: ModelInput | None = None
    layers: list[LayerSpec] | None = None
    factory: str | None = None
    factory_args: dict[str, Any] = {}
    expect: ModelExpect | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> ModelSpec:
        if self.factory is not None:
            if self.layers is not None:
                raise ValueError("give either layers or factory, not both")
            if not FACTORY.match(self.factory):
                raise ValueError(f"factory: must be 'package.module:function', got "
                                 f"{self.factory!r}")
            return self
        if self.factory_args:
            raise ValueError("factory_args: only a model with a factory takes arguments")
        if not self.layers:
            raise ValueError("layers: is required (a list of layers), or name a factory")
        if self.input is None:
            raise ValueError("input: is required for a layer list (shape, dtype)")
        self._shape_ranks()
        return self

    def _shape_ranks(self) -> None:
        # Catch an expected shape whose rank cannot be right before anything is built.
        assert self.input is not None and self.layers is not None
        rank: int | None = len(self.input.shape) + 1
        problems = []
        for i, layer in enumerate(self.layers):
            rank = None if rank is None else expected_rank(layer, rank)
            if rank is not None and layer.expect is not None and \
                    len(layer.expect.output_shape) != rank:
                problems.append(
                    f"layers[{i}].expect.output_shape: a {layer.type} here outputs rank {rank} "
                    f"(batch included), got {layer.expect.output_shape} of rank "
                    f"{len(layer.expect.output_shape)}"
                )
        if problems:
            raise ValueError("\n".join(problems))


class DataExpect(_Frozen):
    """Shapes of the full data set (a run on a slice skips this check)."""

    x_train_shape: list[PositiveInt] | None = None
    x_test_shape: list[PositiveInt] | None = None


class ImdbDataSpec(_Frozen):
    """The IMDB reviews in the conventions of ``keras.datasets.imdb`` (``dataset: imdb``)."""

    dataset: Literal["imdb"] = "imdb"
    num_words: PositiveInt = Field(description="keep the num_words most frequent words")
    maxlen: PositiveInt | None = Field(default=None, description="timesteps after padding")
    padding: Literal["pre", "post"] = "pre"
    truncating: Literal["pre", "post"] = "pre"
    representation: Literal["sequences", "multi_hot"] = "sequences"
    reverse: bool = Field(default=False, description="reverse every review before padding "
                          "(notebook 6.3, listing 6.36)")
    validation_samples: PositiveInt | None = Field(
        default=None, description="hold out the FIRST N training samples as the validation set "
        "(notebook 3.5); an alternative to train.validation_split")
    train_samples: PositiveInt | None = Field(
        default=None, description="train on at most N samples (after the hold-out)")
    expect: DataExpect | None = None


class ImdbTextDataSpec(_Frozen):
    """The raw review text tokenized as notebook 6.1 does (``dataset: imdb_text``): the training
    reviews (neg, then pos) -> a word index of their ``num_words`` most frequent words -> padded
    to ``maxlen`` -> shuffled (``shuffle_seed``) -> the first ``train_samples`` for training and
    the next ``validation_samples`` for validation; the test reviews are encoded with the same
    word index."""

    dataset: Literal["imdb_text"]
    num_words: PositiveInt = 10000
    maxlen: PositiveInt = 100
    padding: Literal["pre", "post"] = "pre"
    truncating: Literal["pre", "post"] = "pre"
    train_samples: PositiveInt = 200
    validation_samples: PositiveInt = 10000
    shuffle_seed: NonNegativeInt = 0
    expect: DataExpect | None = None


class JenaDataSpec(_Frozen):
    """A timeseries CSV in the Jena climate layout (``dataset: jena_climate``), windowed as
    notebook 6.3's generator does: samples of ``lookback // step`` timesteps (one row every
    ``step`` rows), target the ``target`` column ``delay`` rows after the window, every column
    but the date normalized by the mean and std of the training rows. Row ranges are inclusive
    ``[first, last]`` (``null`` last: to the end)."""

    dataset: Literal["jena_climate"]
    file: str = "jena_climate_2009_2016.csv"
    lookback: PositiveInt = 1440
    step: PositiveInt = 6
    delay: PositiveInt = 144
    train_rows: tuple[NonNegativeInt, NonNegativeInt] = (0, 200000)
    val_rows: tuple[NonNegativeInt, NonNegativeInt] = (200001, 300000)
    test_rows: tuple[NonNegativeInt, NonNegativeInt | None] = (300001, None)
    target: str = "T (degC)"
    reverse: bool = Field(default=False, description="reverse each window in time "
                          "(notebook 6.3's reverse_order_generator)")
    shuffle: bool = Field(default=True, description="draw training windows at random rows")
    expect: DataExpect | None = None


class ArraysDataSpec(_Frozen):
    """A user's ``.npz`` with ``x_train``, ``y_train``, ``x_test``, ``y_test`` (``dataset:
    arrays``): the generic way in. A relative ``file`` is read from the spec's folder."""

    dataset: Literal["arrays"]
    file: Annotated[str, Field(min_length=1)]
    expect: DataExpect | None = None


DATASETS = ("imdb", "imdb_text", "jena_climate", "arrays")
DataSpec = Annotated[
    Union[ImdbDataSpec, ImdbTextDataSpec, JenaDataSpec, ArraysDataSpec],  # noqa: UP007
    Field(discriminator="dataset"),
]


class TrainSpec(_Frozen):
    optimizer: Optimizer = "rmsprop"
    learning_rate: Annotated[float, Field(gt=0)] | None = None
    loss: Loss = "binary_crossentropy"
    metrics: list[Metric] = ["acc"]
    epochs: PositiveInt
    batch_size: PositiveInt
    validation_split: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    steps_per_epoch: PositiveInt | None = Field(
        default=None, description="batches per epoch, for a generator's endless data (Jena)")
    validation_steps: PositiveInt | None = None
    seed: NonNegativeInt = 0

    @model_validator(mode="before")
    @classmethod
    def _keras2_names(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for old, new in RENAMED_KERAS2_TRAIN.items():
                if old in data:
                    raise ValueError(f"'{old}' is the Keras 2 name; Keras 3 calls it '{new}'")
        return data

    def recorded_metrics(self) -> list[str]:
        """History keys a run of this spec records: loss, each metric (``acc`` for ``acc`` and
        ``accuracy``, else the Keras name as written), and their ``val_`` forms when it
        validates (the caller knows; both are listed)."""
        names = ["loss", *(metric_key(m) for m in self.metrics)]
        return [*names, *(f"val_{n}" for n in names)]


def metric_key(metric: str) -> str:
    """The history key of a compile metric: ``acc`` for ``acc``/``accuracy`` (the field's
    term), else the name as written (``binary_accuracy``, ``mae``)."""
    return "acc" if metric in ("acc", "accuracy") else metric


# Metrics for which lower is better; every other recorded metric is higher-is-better.
LOWER_IS_BETTER = re.compile(
    r"(loss|error|mae|mse|mape|msle|crossentropy|hinge|divergence|kld|poisson|log_?cosh"
    r"|false_?(positives|negatives))$", re.IGNORECASE)
BAND_METRIC = re.compile(r"^(best|final|test)_(.+)$")
ACCURACY = re.compile(r"(^|_)acc(uracy)?$")


class Band(_Frozen):
    """The band training must land in: ``low <= metric <= high``.

    ``metric`` is ``best_``, ``final_`` or ``test_`` followed by a recorded history key:
    ``best_val_acc`` (the best epoch's val_acc), ``final_val_loss``, ``test_acc``, ``best_val_mae``.
    "Best" follows ``direction``: ``higher`` is better for accuracies, ``lower`` for losses and
    errors; left out, it is read off the metric's name (:data:`LOWER_IS_BETTER`).
    """

    metric: str = "best_val_acc"
    low: float
    high: float
    direction: Literal["higher", "lower"] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if not BAND_METRIC.match(self.metric):
            raise ValueError(f"metric: must be best_, final_ or test_ and a recorded metric "
                             f"(best_val_acc, final_val_loss, test_acc), got {self.metric!r}")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError(f"low and high must be numbers, got low={self.low}, "
                             f"high={self.high}")
        if self.low > self.high:
            raise ValueError(f"low must be <= high, got low={self.low} > high={self.high}")
        if ACCURACY.search(self.key) and not (0.0 <= self.low and self.high <= 1.0):
            raise ValueError(f"an accuracy lies in [0, 1], got low={self.low}, high={self.high}")
        return self

    @property
    def key(self) -> str:
        """The history key the band reads (``val_acc`` for ``best_val_acc``); for ``test_``,
        the evaluated metric (``acc`` for ``test_acc``)."""
        match = BAND_METRIC.match(self.metric)
        assert match is not None
        return match.group(2)

    @property
    def lower_is_better(self) -> bool:
        if self.direction is not None:
            return self.direction == "lower"
        return bool(LOWER_IS_BETTER.search(self.key))


class MinEffect(_Frozen):
    """The gated metrics, and for each the drop the gate must be able to see.

    Accuracies are absolute (0.03 = three points of accuracy): a significant drop of a gated
    accuracy fails the gate, and the verdict warns when the drop it can detect with 80% power is
    larger than this. ``epoch_time_pct`` is a relative increase of the epoch time in percent, a
    floor: a significant rise beyond it fails the gate. A metric left out is reported but never
    fails the gate.
    """

    best_val_acc: Fraction | None = None
    final_val_acc: Fraction | None = None
    test_acc: Fraction | None = None
    epoch_time_pct: Annotated[float, Field(gt=0)] | None = None


class CiSpec(_Frozen):
    """A short training schedule for CI (``harness gate --run``), with its own band.

    The schedule (epochs, train_samples, test_samples, batch_size) identifies a CI result: the gate
    compares CI runs only to baseline runs of the same schedule. ``seeds`` is how many seeds
    ``harness gate --run`` trains; the band is checked against their mean.
    """

    epochs: PositiveInt
    train_samples: PositiveInt | None = Field(
        default=None, description="use only the first N training reviews (before "
        "validation_split); None: all")
    test_samples: PositiveInt | None = Field(
        default=None, description="evaluate on the first N test reviews; None: all")
    batch_size: PositiveInt | None = Field(default=None, description="None: train.batch_size")
    seeds: PositiveInt = 3
    band: Band
    min_effect: MinEffect
    alpha: Annotated[float, Field(gt=0.0, lt=0.5)] = Field(
        default=0.05, description="the spec's false-alarm rate: the one-sided Welch t-test of "
        "each gated metric runs at alpha divided by their number")
    curve_band_std: Annotated[float, Field(gt=0)] = Field(
        default=3.0, description="a run diverges from its baseline curve when the seed mean of "
        "an epoch leaves the baseline's per-epoch mean +/- this many standard deviations")


class Reference(_Frozen):
    """Figures published for this model, and where they come from.

    ``history`` maps a Keras log name (loss, acc, val_loss, val_acc, mae, ...) to its per-epoch
    values as printed; ``seconds_per_epoch`` is one figure or one per epoch; ``test`` holds any
    printed test figure by metric (``{acc: 0.885, loss: 0.292}``).
    """

    source: str
    seconds_per_epoch: Annotated[float, Field(gt=0)] | list[NonNegativeFloat] | None = None
    train_samples: PositiveInt | None = None
    val_samples: PositiveInt | None = None
    test_acc: Fraction | None = None
    test: dict[str, float] = {}
    history: dict[str, list[float]] | None = None
    summary_matches: bool | None = Field(
        default=None, description="whether the spec's expectations are the printed summary's")
    notes: str | None = None

    def epoch_seconds(self) -> float | None:
        """The typical published epoch time (s): the median of the per-epoch figures."""
        if self.seconds_per_epoch is None:
            return None
        if isinstance(self.seconds_per_epoch, list):
            values = sorted(self.seconds_per_epoch)
            return float(values[len(values) // 2]) if values else None
        return float(self.seconds_per_epoch)


class Spec(_Frozen):
    """One spec file, parsed. ``path`` is where it was read from."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")]
    description: str = ""
    source: str = ""
    model: ModelSpec
    data: DataSpec | None = None
    train: TrainSpec | None = None
    band: Band | None = None
    ci: CiSpec | None = None
    reference: Reference | None = None
    path: str = Field(default="", exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _default_dataset(cls, data: Any) -> Any:
        # ``dataset`` picks the data source; left out it is imdb, as before sources existed.
        if isinstance(data, dict) and isinstance(data.get("data"), dict) \
                and "dataset" not in data["data"]:
            data = {**data, "data": {"dataset": "imdb", **data["data"]}}
        return data

    @model_validator(mode="after")
    def _sections(self) -> Spec:
        if self.train is not None and self.data is None:
            raise ValueError("data: is required for a spec that trains (it has a 'train' section)")
        if self.band is not None and self.train is None:
            raise ValueError("train: is required for a spec with a 'band'")
        if self.ci is not None and self.train is None:
            raise ValueError("train: is required for a spec with a 'ci' schedule")
        if self.train is not None:
            recorded = self.train.recorded_metrics()
            if not self._validates():
                recorded = [k for k in recorded if not k.startswith("val_")]
            for where, band in (("band", self.band), ("ci.band", self.ci and self.ci.band)):
                if band is not None and band.key not in recorded:
                    hint = _did_you_mean(band.key, recorded)
                    why = (" (it holds out no validation data: set train.validation_split)"
                           if band.key.startswith("val_") else "")
                    raise ValueError(
                        f"{where}.metric: {band.metric!r} reads '{band.key}', which this spec "
                        f"does not record{why}{hint} (recorded: {', '.join(recorded)})")
        return self

    def _validates(self) -> bool:
        """Whether training records val_ metrics: a validation_split, or validation data the
        source holds out (an arrays file may hold x_val, which only loading tells)."""
        assert self.train is not None
        data = self.data
        return (self.train.validation_split > 0
                or isinstance(data, (ImdbTextDataSpec, JenaDataSpec, ArraysDataSpec))
                or (isinstance(data, ImdbDataSpec) and data.validation_samples is not None))

    @property
    def trains(self) -> bool:
        """Whether this spec trains (architecture-only specs have no ``train`` section)."""
        return self.train is not None

    def content_hash(self) -> str:
        """sha256 of what decides a run's result: model, data and train (not band or reference).

        Results of two runs are comparable only when their spec hashes are equal. Left out: the
        ``expect`` entries (checks of the result, not inputs to it) and fields left at their
        default, so that adding an expectation, or a schema field with a default, does not make
        every stored baseline incomparable.
        """
        text = json.dumps(self._hashed(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def section_hashes(self) -> dict[str, str]:
        """sha256 of each of model, data and train, hashed as in :meth:`content_hash`: says
        which section changed between two results whose spec hashes differ."""
        payload = self._hashed()
        return {key: hashlib.sha256(json.dumps(payload.get(key), sort_keys=True,
                                               separators=(",", ":")).encode()).hexdigest()
                for key in ("model", "data", "train")}

    def _hashed(self) -> dict[str, Any]:
        def strip(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: strip(v) for k, v in value.items() if k != "expect"}
            if isinstance(value, list):
                return [strip(v) for v in value]
            return value

        payload = strip(self.model_dump(include={"model", "data", "train"}, mode="json",
                                        exclude_defaults=True))
        if self.model.layers is not None:
            payload["model"]["layers"] = [layer.hashed() for layer in self.model.layers]
        return payload


# ---------------------------------------------------------------------------------------------
# Loading


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate keys (PyYAML keeps the last one silently), and
    turns PyYAML's crashes on a bad explicitly tagged value (``!!int x``, ``!!float``,
    ``!!timestamp foo``: ValueError, IndexError, AttributeError...) into YAML errors with a line.
    """

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, IndexError, KeyError, AttributeError, TypeError, OverflowError):
            tag = str(node.tag).rsplit(":", 1)[-1]
            value = node.value if isinstance(node, yaml.ScalarNode) else f"a {node.id}"
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {value!r} as !!{tag}", node.start_mark
            ) from None


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"a key must be a plain value, got a {type(key).__name__}",
                key_node.start_mark,
            ) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def load_spec(path: str | Path) -> Spec:
    """Read and validate one spec file.

    Args:
        path: the YAML file.

    Returns:
        The parsed, frozen :class:`Spec`.

    Raises:
        SpecError: the file is missing or unreadable, is not valid YAML (with the line), or breaks
            the schema; the message lists every problem at once.
    """
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(shown, ["no such spec file"]) from None
    except IsADirectoryError:
        raise SpecError(shown, ["is a directory, not a spec file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(shown, [f"cannot read the file ({exc})"]) from None
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise SpecError(shown, [f"{where}YAML syntax error: {exc.problem or exc}"]) from None
    except yaml.YAMLError as exc:
        raise SpecError(shown, [f"YAML syntax error: {exc}"]) from None
    except RecursionError:
        raise SpecError(shown, [f"lists or mappings nested more than {_MAX_DEPTH} deep"]) from None
    return parse_spec(document, shown)


def parse_spec(document: Any, path: str = "<spec>") -> Spec:
    """Validate an already-parsed YAML document; see :func:`load_spec`."""
    if not isinstance(document, dict):
        kind = "an empty file" if document is None else type(document).__name__
        raise SpecError(path, [f"a spec must be a mapping of sections, got {kind}"])
    problem = _shape_problem(document)
    if problem:
        raise SpecError(path, [problem])
    try:
        spec = Spec.model_validate(document)
    except ValidationError as exc:
        raise SpecError(path, [_describe(err) for err in exc.errors()]) from None
    return spec.model_copy(update={"path": path})


# A spec is 5 levels deep and a few hundred values; far more is a broken file, not a spec.
_MAX_DEPTH = 50
_MAX_VALUES = 100_000


def _shape_problem(document: Any) -> str | None:
    """A document that refers to itself (a YAML alias inside its own anchor), is nested absurdly
    deep, or expands to a huge number of values through aliases ("billion laughs"): pydantic would
    raise ValueError or RecursionError on it, or run for hours, instead of a spec error."""
    stack: list[tuple[Any, int, frozenset[int]]] = [(document, 1, frozenset())]
    seen = 0
    while stack:
        node, depth, above = stack.pop()
        seen += 1
        if seen > _MAX_VALUES:
            return f"more than {_MAX_VALUES:,} values (YAML aliases expanded); not a spec"
        if not isinstance(node, (dict, list)):
            continue
        if id(node) in above:
            return "the document contains itself (a YAML alias inside its own anchor)"
        if depth > _MAX_DEPTH:
            return f"lists or mappings nested more than {_MAX_DEPTH} deep"
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1, above | {id(node)}) for child in children)
    return None


def load_specs(paths: Iterable[str | Path]) -> list[Spec]:
    """Load several spec files, reporting the problems of all of them at once.

    Raises:
        SpecError: one or more files are invalid, or two specs share a name.
    """
    specs: list[Spec] = []
    problems: list[str] = []
    for path in paths:
        try:
            specs.append(load_spec(path))
        except SpecError as exc:
            problems.extend(f"{exc.path}: {p}" for p in exc.problems)
    seen: dict[str, str] = {}
    for spec in specs:
        if spec.name in seen:
            problems.append(
                f"{spec.path}: name: '{spec.name}' is already the name of {seen[spec.name]}; "
                "spec names must be unique (reports are written per name)"
            )
        seen.setdefault(spec.name, spec.path)
    if problems:
        err = SpecError("", [])
        err.problems = problems
        err.args = ("\n".join(problems),)
        raise err
    return specs


def discover_specs(paths: Sequence[str | Path]) -> list[Path]:
    """Expand directories into their ``*.yaml``/``*.yml`` files, sorted; keep files as given."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted([*p.glob("*.yaml"), *p.glob("*.yml")]))
        else:
            found.append(p)
    return found


# ---------------------------------------------------------------------------------------------
# Error messages: "field.path: what is wrong, got X" with a did-you-mean for near misses.

_MESSAGES = {
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "dict_type": "must be a mapping",
    "missing": "is required",
    "too_short": "must not be empty",
    "string_pattern_mismatch": "must be lower-case letters, digits, '_' or '-'",
}


def _describe(err: dict[str, Any]) -> str:
    loc = tuple(err["loc"])
    where, parent = _display_path(loc)
    kind = err["type"]
    got = err.get("input")
    if kind == "extra_forbidden":
        key = loc[-1]
        section = where.rsplit(".", 1)[0] if "." in where else "the top level"
        hint = _did_you_mean(str(key), _field_names(parent))
        return f"unknown key '{key}' in {section}{hint}"
    if kind == "union_tag_invalid":
        tag = err.get("ctx", {}).get("tag", got)
        hint = _did_you_mean(str(tag), DATASETS)
        return f"{where}.dataset: unknown data source '{tag}'{hint} (known: {', '.join(DATASETS)})"
    if kind == "union_tag_not_found":
        return f"{where}.dataset: is required (one of {', '.join(DATASETS)})"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        hint = _did_you_mean(str(got), [s.strip(" '") for s in str(expected).split(" or ")])
        hint = hint or ""
        text = f"must be one of {expected}, got {got!r}{hint}"
        return f"{where}: {text}" if where else text
    if kind == "value_error":
        msg = str(err.get("ctx", {}).get("error", err["msg"]))
        parts = []
        for part in msg.split("\n"):
            if not where:
                parts.append(part)
            elif _RELATIVE_PATH.match(part):
                parts.append(f"{where}.{part}")  # the validator named a field below ``where``
            else:
                parts.append(f"{where}: {part}" if where else part)
        return "; ".join(parts)
    template = _MESSAGES.get(kind)
    msg = template.format(**err.get("ctx", {})) if template else err["msg"]
    if kind == "missing":
        return f"{where}: {msg}"
    shown = _show(got)
    return f"{where}: {msg}, got {shown}" if where else f"{msg}, got {shown}"


_RELATIVE_PATH = re.compile(r"^[a-z_]+(\[\d+\])?[.:\[]")


def _show(value: Any) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, default=str)
        return text if len(text) <= 60 else text[:57] + "..."
    return repr(value)


def _display_path(loc: tuple[Any, ...]) -> tuple[str, Any]:
    """``('model', 'layers', 1, 'SimpleRNN', 'units')`` -> ``'model.layers[1].units'``.

    Also returns the model class that holds the last element (for did-you-mean), or None.
    """
    parts: list[str] = []
    tp: Any = Spec
    parent: Any = None
    for part in loc:
        parent = tp
        tp = _unwrap(tp)
        if isinstance(part, int):
            parts.append(f"[{part}]")
            args = typing.get_args(tp)
            tp = args[0] if args else None
            continue
        members = _union_members(tp)
        if members:
            # A discriminated union puts the tag in the location: skip it, descend into it.
            match = next((m for m in members if _tag_of(m) == part), None)
            if match is not None:
                tp = match
                continue
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            parts.append(("." if parts else "") + str(part))
            parent = tp
            tp = field.annotation if field else None
            continue
        parts.append(("." if parts else "") + str(part))
        tp = None
    return "".join(parts), parent


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return tp


def _union_members(tp: Any) -> list[Any]:
    if typing.get_origin(tp) in (Union, types.UnionType):
        return [a for a in typing.get_args(tp) if isinstance(a, type)]
    return []


def _tag_of(cls: Any) -> str | None:
    fields = getattr(cls, "model_fields", {})
    field = fields.get("dataset")  # the tag of the data sources' union
    if field is None:
        return None
    args = typing.get_args(field.annotation)
    return args[0] if args else None


def _field_names(cls: Any) -> list[str]:
    cls = _unwrap(cls)
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return [n for n in cls.model_fields if n != "path"]
    return []


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return f"; did you mean '{lowered[word.lower()]}'?"
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
