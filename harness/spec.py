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
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import SpecError

PositiveInt = Annotated[int, Field(gt=0, strict=True)]
NonNegativeInt = Annotated[int, Field(ge=0, strict=True)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
# An output shape as Keras prints it, batch dimension first: [null, null, 32].
Shape = list[Annotated[int, Field(gt=0, strict=True)] | None]

# Keras 2 arguments that Keras 3 removed, with what to write instead.
REMOVED_KERAS2_ARGS = {
    "input_length": "remove it: Keras 3 takes the sequence length from the model input "
    "(model.input.shape) and data.maxlen",
}


# Names Keras 3 resolves with keras.activations/optimizers/losses.get(); checked here so that a
# typo is a spec error at validate time, not a traceback after the data is loaded.
# tests/test_spec.py checks every name against Keras itself, so the lists cannot drift silently.
ACTIVATIONS = (
    "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
    "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish",
    "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign",
    "sparse_plus", "sparsemax", "squareplus", "swish", "tanh", "tanh_shrink", "threshold",
)
OPTIMIZERS = (
    "adadelta", "adafactor", "adagrad", "adam", "adamax", "adamw", "ftrl", "lion",
    "nadam", "rmsprop", "sgd",
)
LOSSES = (
    "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
    "categorical_focal_crossentropy", "categorical_hinge", "cosine_similarity", "hinge", "huber",
    "kl_divergence", "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_error", "mean_squared_logarithmic_error", "poisson",
    "sparse_categorical_crossentropy", "squared_hinge", "mse", "mae", "mape", "msle",
)


def _known(kind: str, names: tuple[str, ...]):
    def check(value: str) -> str:
        if value not in names:
            hint = _did_you_mean(value, names) or f" (known: {', '.join(names)})"
            raise ValueError(f"unknown {kind} '{value}'{hint}")
        return value

    return AfterValidator(check)


Activation = Annotated[str, _known("activation", ACTIVATIONS)]
Optimizer = Annotated[str, _known("optimizer", OPTIMIZERS)]
Loss = Annotated[str, _known("loss", LOSSES)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LayerExpect(_Frozen):
    """What ``model.summary()`` must show for one layer."""

    output_shape: Shape = Field(description="output shape, batch dimension first, null = open")
    params: NonNegativeInt = Field(description="params of the layer (count_params())")
    trainable_params: NonNegativeInt | None = None


class _Layer(_Frozen):
    """Fields every layer has; the rest of a layer's keys are its Keras constructor arguments."""

    name: str | None = None
    expect: LayerExpect | None = None

    @model_validator(mode="before")
    @classmethod
    def _keras2_args(cls, data: Any) -> Any:
        # Turn a Keras 2 argument into a message that says what to write instead, rather than
        # pydantic's bare "extra inputs are not permitted".
        if isinstance(data, dict):
            for key in data:
                if key in REMOVED_KERAS2_ARGS:
                    raise ValueError(
                        f"'{key}' is a Keras 2 argument that Keras 3 removed; "
                        f"{REMOVED_KERAS2_ARGS[key]}"
                    )
        return data

    def keras_config(self) -> dict[str, Any]:
        """The Keras constructor arguments the spec wrote (Keras defaults for the rest)."""
        return self.model_dump(exclude_unset=True, exclude={"type", "expect"})

    def expected_rank(self, input_rank: int) -> int:
        """Rank of this layer's output for an input of ``input_rank`` (batch included)."""
        return input_rank


class Embedding(_Layer):
    type: Literal["Embedding"]
    input_dim: PositiveInt
    output_dim: PositiveInt
    mask_zero: bool = False

    def expected_rank(self, input_rank: int) -> int:
        return input_rank + 1


class Dense(_Layer):
    type: Literal["Dense"]
    units: PositiveInt
    activation: Activation | None = None
    use_bias: bool = True


class Dropout(_Layer):
    type: Literal["Dropout"]
    rate: Fraction


class _Recurrent(_Layer):
    units: PositiveInt
    activation: Activation = "tanh"
    return_sequences: bool = False
    dropout: Fraction = 0.0
    recurrent_dropout: Fraction = 0.0
    use_bias: bool = True

    def expected_rank(self, input_rank: int) -> int:
        return 3 if self.return_sequences else 2


class SimpleRNN(_Recurrent):
    type: Literal["SimpleRNN"]


class LSTM(_Recurrent):
    type: Literal["LSTM"]
    recurrent_activation: Activation = "sigmoid"


class GRU(_Recurrent):
    type: Literal["GRU"]
    recurrent_activation: Activation = "sigmoid"
    reset_after: bool = True


Layer = Annotated[
    Union[Embedding, Dense, Dropout, SimpleRNN, LSTM, GRU],  # noqa: UP007 - discriminated union
    Field(discriminator="type"),
]
LAYER_TYPES = ("Embedding", "Dense", "Dropout", "SimpleRNN", "LSTM", "GRU")


class ModelInput(_Frozen):
    """The model's input, batch dimension left out: ``[null]`` for word indices of any length."""

    shape: Shape
    dtype: Literal["int32", "int64", "float32"] = "int32"


class ModelExpect(_Frozen):
    total_params: NonNegativeInt
    trainable_params: NonNegativeInt | None = None
    non_trainable_params: NonNegativeInt | None = None


class ModelSpec(_Frozen):
    input: ModelInput
    layers: Annotated[list[Layer], Field(min_length=1)]
    expect: ModelExpect | None = None

    @model_validator(mode="after")
    def _shape_ranks(self) -> ModelSpec:
        # Catch an expected shape whose rank cannot be right before anything is built.
        rank = len(self.input.shape) + 1
        problems = []
        for i, layer in enumerate(self.layers):
            rank = layer.expected_rank(rank)
            if layer.expect is not None and len(layer.expect.output_shape) != rank:
                problems.append(
                    f"layers[{i}].expect.output_shape: a {layer.type} here outputs rank {rank} "
                    f"(batch included), got {layer.expect.output_shape} of rank "
                    f"{len(layer.expect.output_shape)}"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self


class DataExpect(_Frozen):
    """Shapes of the full data set (a run on a slice skips this check)."""

    x_train_shape: list[PositiveInt] | None = None
    x_test_shape: list[PositiveInt] | None = None


class DataSpec(_Frozen):
    """How the IMDB reviews become model input (conventions of ``keras.datasets.imdb``)."""

    dataset: Literal["imdb"] = "imdb"
    num_words: PositiveInt = Field(description="keep the num_words most frequent words")
    maxlen: PositiveInt | None = Field(default=None, description="timesteps after padding")
    padding: Literal["pre", "post"] = "pre"
    truncating: Literal["pre", "post"] = "pre"
    representation: Literal["sequences", "multi_hot"] = "sequences"
    expect: DataExpect | None = None


class TrainSpec(_Frozen):
    optimizer: Optimizer = "rmsprop"
    learning_rate: Annotated[float, Field(gt=0)] | None = None
    loss: Loss = "binary_crossentropy"
    metrics: list[str] = ["acc"]
    epochs: PositiveInt
    batch_size: PositiveInt
    validation_split: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    seed: NonNegativeInt = 0


class Band(_Frozen):
    """The accuracy band training must land in: ``low <= metric <= high``."""

    metric: Literal["best_val_acc", "final_val_acc", "test_acc"] = "best_val_acc"
    low: Fraction
    high: Fraction

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.low > self.high:
            raise ValueError(f"low must be <= high, got low={self.low} > high={self.high}")
        return self


class MinEffect(_Frozen):
    """The smallest change against the baseline that counts as a regression (or improvement).

    Accuracies are absolute (0.03 = three points of accuracy); ``epoch_time_pct`` is a relative
    increase of the epoch time in percent. A metric left out is reported but never fails the gate.
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
        default=0.05, description="significance level of the one-sided Welch t-test")
    curve_band_std: Annotated[float, Field(gt=0)] = Field(
        default=3.0, description="a run diverges from its baseline curve when the seed mean of "
        "an epoch leaves the baseline's per-epoch mean +/- this many standard deviations")


class ReferenceHistory(_Frozen):
    loss: list[float] = []
    acc: list[float] = []
    val_loss: list[float] = []
    val_acc: list[float] = []


class Reference(_Frozen):
    """Figures published for this model, and where they come from."""

    source: str
    seconds_per_epoch: Annotated[float, Field(gt=0)] | None = None
    train_samples: PositiveInt | None = None
    val_samples: PositiveInt | None = None
    test_acc: Fraction | None = None
    history: ReferenceHistory | None = None
    notes: str | None = None


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

    @model_validator(mode="after")
    def _sections(self) -> Spec:
        if self.train is not None and self.data is None:
            raise ValueError("data: is required for a spec that trains (it has a 'train' section)")
        if self.band is not None and self.train is None:
            raise ValueError("train: is required for a spec with a 'band'")
        if self.ci is not None and self.train is None:
            raise ValueError("train: is required for a spec with a 'ci' schedule")
        return self

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

        return strip(self.model_dump(include={"model", "data", "train"}, mode="json",
                                     exclude_defaults=True))


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
        hint = _did_you_mean(str(tag), LAYER_TYPES)
        return (
            f"{where}.type: unknown layer type '{tag}'{hint} "
            f"(known: {', '.join(LAYER_TYPES)})"
        )
    if kind == "union_tag_not_found":
        return f"{where}.type: is required (one of {', '.join(LAYER_TYPES)})"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        hint = _did_you_mean(str(got), [s.strip(" '") for s in str(expected).split(" or ")])
        hint = hint or ""
        text = f"must be one of {expected}, got {got!r}{hint}"
        return f"{where}: {text}" if where else text
    if kind == "value_error":
        msg = str(err.get("ctx", {}).get("error", err["msg"]))
        if where and _RELATIVE_PATH.match(msg):
            return f"{where}.{msg}"  # the validator named a field below ``where``
        return f"{where}: {msg}" if where else msg
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
    field = getattr(cls, "model_fields", {}).get("type")
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
