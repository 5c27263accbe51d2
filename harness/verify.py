"""Verify a built model against its spec: per-layer output shape and params, and totals.

Expected params are checked from two sides: against what Keras counts (``count_params()`` of the
built layer) and against closed-form counts from the layer equations (REFERENCE.md), with d the
size of the layer input's feature (channel) axis and u its units:

=========================================  =================================================
layer                                      params
=========================================  =================================================
Embedding(n, e)                            n*e
Dense(u)                                   d*u + u (no ``+ u`` without bias)
SimpleRNN(u)                               u*(u+d+1)
LSTM(u)                                    4*u*(u+d+1)
GRU(u)                                     3*u*(u+d+1) ``reset_after=False``,
                                           3*u*(u+d+2) ``reset_after=True`` (two bias rows)
Conv1D/2D/3D(filters, kernel_size)         prod(kernel_size) * d/groups * filters + filters
Bidirectional(layer)                       2 * the wrapped layer (forward and backward copy;
                                           the merge mode does not change the params)
TimeDistributed(layer)                     the wrapped layer on the input's inner features
pooling, global pooling, Flatten,          0
Dropout, SpatialDropout, Activation, ...
=========================================  =================================================

d comes from the input shape of each layer, tracked through the layer list from
``model.input.shape`` with the rules of :func:`output_shape` (Embedding ``(batch_size,
timesteps, output_dim)``, Conv1D and pooling with their padding, strides and dilation, Flatten the
product of the non-batch dims, recurrent layers with ``return_sequences``, Bidirectional concat
doubling the features), and from a layer's ``expect.output_shape`` where the rules have none.

A layer with no closed form here (``LayerNormalization``, say) is not skipped silently: its row
says "no closed form" and it is listed in :attr:`Verification.unchecked`. A factory model
(``model.factory``) has no layer list in the spec, so its layers have no closed forms: its rows are
checked against ``model.expect.layers`` (by Keras layer name) and ``count_params()`` only, and the
verification says so in :attr:`Verification.notes`.

The trainable / non-trainable split (``trainable: false`` layers) is checked per layer
(``expect.trainable_params``) and in the totals, against Keras's weights and the closed forms.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ArchitectureMismatch

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from .spec import LayerExpect, LayerSpec, Spec

# A shape as Keras prints it, batch dimension first: (None, None, 32). None = open or unknown.
Shape = tuple[int | None, ...]

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


def kind(layer_spec: LayerSpec) -> str:
    """The Keras class a spec layer names (``MaxPooling1D`` for ``MaxPool1D``)."""
    try:
        return layer_spec.signature.class_name
    except KeyError:
        return layer_spec.type


def has_closed_form(layer_spec: LayerSpec) -> bool:
    """Whether :func:`closed_form_params` knows this layer type (a wrapper: and its layer)."""
    t = kind(layer_spec)
    if t in WRAPPERS:
        return (layer_spec.layer is not None and layer_spec.arg("backward_layer") is None
                and has_closed_form(layer_spec.layer))
    return t in ZERO_PARAMS or t in GATES or t in CONVOLUTIONS or t in ("Embedding", "Dense")


# ---------------------------------------------------------------------------------------------
# Shapes


def sizes(value: Any, n: int) -> tuple[int, ...]:
    """A Keras size argument (``3`` or ``[3, 3]``) as n ints."""
    return (int(value),) * n if isinstance(value, int) else tuple(int(v) for v in value)


def _channels_first(layer_spec: LayerSpec) -> bool:
    return layer_spec.arg("data_format") == "channels_first"


def _window_length(length: int | None, window: int, stride: int, padding: str,
                   dilation: int = 1) -> int | None:
    """Output length of a sliding window (convolution, pooling) along one axis, as Keras:
    ``valid``: (length - (window-1)*dilation - 1) // stride + 1; ``same``/``causal``:
    ceil(length / stride). None for an open length."""
    if length is None:
        return None
    if padding == "valid":
        return (length - (window - 1) * dilation - 1) // stride + 1
    return (length + stride - 1) // stride


def split_channels(layer_spec: LayerSpec, shape: Shape, n: int) -> tuple[Shape, int | None] | None:
    """(spatial dims, channels) of a rank n+2 input, by the layer's data_format; None for
    another rank."""
    if len(shape) != n + 2:
        return None
    if _channels_first(layer_spec):
        return shape[2:], shape[1]
    return shape[1:-1], shape[-1]


def _join(layer_spec: LayerSpec, batch: int | None, spatial: Sequence[int | None],
          channels: int | None) -> Shape:
    if _channels_first(layer_spec):
        return (batch, channels, *spatial)
    return (batch, *spatial, channels)


def output_shape(layer_spec: LayerSpec, input_shape: Sequence[int | None] | None) -> Shape | None:
    """A layer's output shape for an input shape (batch first), from its arguments.

    Examples: Embedding(n, e) on (batch_size, timesteps) -> (batch_size, timesteps, e); LSTM(u)
    on (batch_size, timesteps, features) -> (batch_size, u), or (batch_size, timesteps, u) with
    return_sequences; Conv1D(f, k) 'valid' on (batch_size, 500, 128) -> (batch_size, 494, f);
    Flatten on (batch_size, 240, 14) -> (batch_size, 3360).

    Returns:
        The shape, None for an open dimension; None when the input shape is unknown, the layer
        type has no rule here, or the layer returns several tensors (``return_state``,
        ``merge_mode: null``).
    """
    if input_shape is None:
        return None
    shape = tuple(input_shape)
    t = kind(layer_spec)
    if t == "Embedding":
        return (*shape, layer_spec.arg("output_dim"))
    if t == "Dense":
        return (*shape[:-1], layer_spec.arg("units"))
    if t in SHAPE_KEEPING:
        return shape
    if t in GATES:
        if layer_spec.arg("return_state") or len(shape) != 3:
            return None
        units = layer_spec.arg("units")
        return (shape[0], shape[1], units) if layer_spec.arg("return_sequences") \
            else (shape[0], units)
    if t == "Bidirectional" and layer_spec.layer is not None:
        inner = output_shape(layer_spec.layer, shape)
        merge = layer_spec.arg("merge_mode")
        if inner is None or merge not in ("concat", "sum", "mul", "ave"):
            return None
        if merge == "concat":
            return (*inner[:-1], None if inner[-1] is None else 2 * inner[-1])
        return inner
    if t == "TimeDistributed" and layer_spec.layer is not None:
        if len(shape) < 3:
            return None
        inner = output_shape(layer_spec.layer, (shape[0], *shape[2:]))
        return None if inner is None else (shape[0], shape[1], *inner[1:])
    if t == "Flatten":
        rest = shape[1:]
        return (shape[0], math.prod(rest) if None not in rest else None)  # type: ignore[arg-type]
    if t in CONVOLUTIONS or t in POOLINGS:
        # A convolution and a pooling slide a window the same way; a convolution also dilates
        # it and sets the channels (filters), a pooling keeps them and strides by its window.
        conv = t in CONVOLUTIONS
        n = CONVOLUTIONS[t] if conv else POOLINGS[t]
        split = split_channels(layer_spec, shape, n)
        if split is None:
            return None
        window = sizes(layer_spec.arg("kernel_size" if conv else "pool_size"), n)
        strides = sizes(layer_spec.arg("strides") or window, n)
        dilation = sizes(layer_spec.arg("dilation_rate"), n) if conv else [1] * n
        spatial = [_window_length(length, w, s, layer_spec.arg("padding"), r)
                   for length, w, s, r in zip(split[0], window, strides, dilation, strict=True)]
        return _join(layer_spec, shape[0], spatial,
                     layer_spec.arg("filters") if conv else split[1])
    if t in GLOBAL_POOLINGS:
        split = split_channels(layer_spec, shape, GLOBAL_POOLINGS[t])
        if split is None:
            return None
        if layer_spec.arg("keepdims"):
            return _join(layer_spec, shape[0], [1] * len(split[0]), split[1])
        return (shape[0], split[1])
    return None


def layer_shapes(layers: Sequence[LayerSpec], input_shape: Sequence[int | None]
                 ) -> list[tuple[Shape | None, Shape | None]]:
    """(input shape, output shape) of each layer of a layer list on ``(batch_size,
    *input_shape)``, by :func:`output_shape`; a layer it has no rule for takes its
    ``expect.output_shape`` (what the spec declares), else its shape and those after it are
    None (unknown)."""
    shapes: list[tuple[Shape | None, Shape | None]] = []
    shape: Shape | None = (None, *input_shape)
    for layer in layers:
        out = output_shape(layer, shape)
        if out is None and layer.expect is not None:
            out = tuple(layer.expect.output_shape)
        shapes.append((shape, out))
        shape = out
    return shapes


# ---------------------------------------------------------------------------------------------
# Closed forms


def closed_form_params(layer_spec: LayerSpec,
                       input_shape: Sequence[int | None] | int | None) -> int | None:
    """Params of a layer from its equations; None when the layer type has no formula here, or
    its input's feature size is unknown.

    Args:
        layer_spec: a layer of a :class:`harness.spec.Spec`.
        input_shape: the layer's input shape, batch first (``(batch_size, timesteps, features)``),
            or d, the size of its feature (last) axis, as an int.
    """
    shape: Shape | None = (None, input_shape) if isinstance(input_shape, int) else (
        None if input_shape is None else tuple(input_shape))
    if not has_closed_form(layer_spec):
        return None
    t = kind(layer_spec)
    if t == "Embedding":
        return layer_spec.arg("input_dim") * layer_spec.arg("output_dim")
    if t in ZERO_PARAMS:
        return 0
    if t == "Bidirectional":
        inner = closed_form_params(layer_spec.layer, shape)
        return None if inner is None else 2 * inner
    if t == "TimeDistributed":
        if shape is None or len(shape) < 3:
            return None
        return closed_form_params(layer_spec.layer, (shape[0], *shape[2:]))
    d = _features(layer_spec, shape)
    if d is None:
        return None
    bias = bool(layer_spec.arg("use_bias"))
    if t == "Dense":
        units = layer_spec.arg("units")
        return d * units + (units if bias else 0)
    if t in CONVOLUTIONS:
        filters = layer_spec.arg("filters")
        kernel = math.prod(sizes(layer_spec.arg("kernel_size"), CONVOLUTIONS[t]))
        return kernel * (d // layer_spec.arg("groups")) * filters + (filters if bias else 0)
    u = layer_spec.arg("units")
    biases = 0
    if bias:
        biases = 2 if (t == "GRU" and layer_spec.arg("reset_after")) else 1
    return GATES[t] * u * (u + d + biases)


def _features(layer_spec: LayerSpec, shape: Shape | None) -> int | None:
    """d: the size of the input's feature axis (the channel axis of a channels_first conv)."""
    if not shape:
        return None
    if kind(layer_spec) in CONVOLUTIONS and _channels_first(layer_spec) and len(shape) > 2:
        return shape[1]
    return shape[-1]


def is_trainable(layer_spec: LayerSpec) -> bool:
    """Whether the layer's weights train (a wrapper's: when it and its layer both do)."""
    if layer_spec.layer is not None:
        return layer_spec.trainable and is_trainable(layer_spec.layer)
    return layer_spec.trainable


def _no_closed_form(layer_spec: LayerSpec) -> str:
    """Why a layer has no closed-form count: its type, or its input size."""
    if has_closed_form(layer_spec):
        return "no closed form (input size unknown)"
    return "no closed form"


# ---------------------------------------------------------------------------------------------
# The built model against the spec


@dataclass(frozen=True)
class LayerRow:
    """One row of the architecture table: a layer's expected and measured figures.

    ``closed_form_params`` is None when the layer has no closed form; ``closed_form_note`` then
    says so ("no closed form", "no closed form (factory model)").
    """

    index: int
    name: str
    type: str
    expected_shape: tuple | None
    shape: tuple
    expected_params: int | None
    params: int
    trainable_params: int
    non_trainable_params: int
    closed_form_params: int | None
    expected_trainable_params: int | None = None
    closed_form_trainable_params: int | None = None
    closed_form_note: str | None = None

    @property
    def problems(self) -> list[str]:
        out = []
        if self.expected_shape is not None and tuple(self.expected_shape) != tuple(self.shape):
            out.append("output shape")
        if self.expected_params is not None and self.expected_params != self.params:
            out.append("params")
        if (
            self.expected_params is not None
            and self.closed_form_params is not None
            and self.expected_params != self.closed_form_params
        ):
            out.append("closed-form params")
        want = self.expected_trainable_params
        if want is not None and want != self.trainable_params:
            out.append("trainable params")
        if want is not None and self.closed_form_trainable_params is not None \
                and want != self.closed_form_trainable_params:
            out.append("closed-form trainable params")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "output_shape": list(self.shape),
            "expected_output_shape": None if self.expected_shape is None
            else list(self.expected_shape),
            "params": self.params,
            "expected_params": self.expected_params,
            "closed_form_params": self.closed_form_params,
            "closed_form_note": self.closed_form_note,
            "trainable_params": self.trainable_params,
            "expected_trainable_params": self.expected_trainable_params,
            "closed_form_trainable_params": self.closed_form_trainable_params,
            "non_trainable_params": self.non_trainable_params,
        }


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify_model`: the rows, the totals, and every problem found.

    Attributes:
        closed_form_totals: total, trainable and non-trainable params summed from the closed
            forms; None when a layer has none.
        unchecked: ``name (Type)`` of each layer without a closed form (checked against
            ``count_params()`` and its expectations only).
        notes: why closed forms are missing as a whole (a factory model).
    """

    rows: list[LayerRow]
    totals: dict[str, int]
    expected_totals: dict[str, int | None]
    problems: list[str] = field(default_factory=list)
    closed_form_totals: dict[str, int] | None = None
    unchecked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "layers": [r.as_dict() for r in self.rows],
            "totals": self.totals,
            "expected_totals": self.expected_totals,
            "closed_form_totals": self.closed_form_totals,
            "unchecked": self.unchecked,
            "notes": self.notes,
            "problems": self.problems,
        }


def _size(weights) -> int:
    import numpy as np

    return int(sum(np.prod(w.shape) for w in weights))


def _row(index: int, layer: keras.Layer, expect: LayerExpect | None, closed_form: int | None,
         closed_form_trainable: int | None, note: str | None) -> LayerRow:
    """A layer's row: Keras's figures from the built layer beside the spec's."""
    return LayerRow(
        index=index,
        name=layer.name,
        type=type(layer).__name__,
        expected_shape=None if expect is None else tuple(expect.output_shape),
        shape=tuple(layer.output.shape),
        expected_params=None if expect is None else expect.params,
        params=int(layer.count_params()),
        trainable_params=_size(layer.trainable_weights),
        non_trainable_params=_size(layer.non_trainable_weights),
        closed_form_params=closed_form,
        expected_trainable_params=None if expect is None else expect.trainable_params,
        closed_form_trainable_params=closed_form_trainable,
        closed_form_note=note,
    )


def measure(model: keras.Model, spec: Spec) -> Verification:
    """Compare every layer of a built model with the spec; collect all problems, raise nothing."""
    if spec.model.factory is not None:
        return _measure_factory(model, spec)
    assert spec.model.layers is not None and spec.model.input is not None
    layers = spec.model.layers
    problems: list[str] = []
    if len(model.layers) != len(layers):
        problems.append(f"the model has {len(model.layers)} layers, the spec {len(layers)}")
    shapes = layer_shapes(layers, spec.model.input.shape)
    rows: list[LayerRow] = []
    unchecked: list[str] = []
    for i, (layer, ls, (shape, _)) in enumerate(zip(model.layers, layers, shapes, strict=False)):
        cf = closed_form_params(ls, shape)
        cf_trainable = None if cf is None else (cf if is_trainable(ls) else 0)
        row = _row(i, layer, ls.expect, cf, cf_trainable, None if cf is not None
                   else _no_closed_form(ls))
        rows.append(row)
        if cf is None:
            unchecked.append(f"{row.name} ({ls.describe()})")
        problems.extend(f"model.layers[{i}] ({row.type}): {_difference(row, what)}"
                        for what in row.problems)
    closed_totals = None
    if rows and len(rows) == len(layers) and all(r.closed_form_params is not None for r in rows):
        total = sum(r.closed_form_params or 0 for r in rows)
        trainable = sum(r.closed_form_trainable_params or 0 for r in rows)
        closed_totals = {"total_params": total, "trainable_params": trainable,
                         "non_trainable_params": total - trainable}
    return _with_totals(model, spec, rows, problems, closed_totals, unchecked, [])


def _measure_factory(model: keras.Model, spec: Spec) -> Verification:
    """A factory model's layers by name against ``model.expect.layers``; no closed forms."""
    me = spec.model.expect
    expected = dict(me.layers or {}) if me is not None else {}
    names = [layer.name for layer in model.layers]
    problems = [f"model.expect.layers.{name}: the model has no layer named '{name}' "
                f"(its layers: {', '.join(names)})" for name in expected if name not in names]
    note = "no closed form (factory model)"
    rows: list[LayerRow] = []
    for i, layer in enumerate(model.layers):
        if type(layer).__name__ == "InputLayer" and layer.name not in expected:
            continue
        row = _row(i, layer, expected.get(layer.name), None, None, note)
        rows.append(row)
        problems.extend(f"model.expect.layers.{row.name} ({row.type}): {_difference(row, what)}"
                        for what in row.problems)
    notes = [f"factory model ({spec.model.factory}): its layers are not in the spec, so there "
             "are no closed-form counts; each layer is checked against count_params() and "
             "model.expect.layers only"]
    unchecked = [f"{r.name} ({r.type})" for r in rows]
    return _with_totals(model, spec, rows, problems, None, unchecked, notes)


def _with_totals(model: keras.Model, spec: Spec, rows: list[LayerRow], problems: list[str],
                 closed_totals: dict[str, int] | None, unchecked: list[str],
                 notes: list[str]) -> Verification:
    """The model's totals against ``model.expect`` (and the closed forms), then the result."""
    totals = {
        "total_params": int(model.count_params()),
        "trainable_params": _size(model.trainable_weights),
        "non_trainable_params": _size(model.non_trainable_weights),
    }
    me = spec.model.expect
    expected_totals: dict[str, int | None] = {
        "total_params": None if me is None else me.total_params,
        "trainable_params": None if me is None else me.trainable_params,
        "non_trainable_params": None if me is None else me.non_trainable_params,
    }
    for key, want in expected_totals.items():
        if want is None:
            continue
        if want != totals[key]:
            problems.append(f"model.expect.{key}: expected {want:,}, built {totals[key]:,}")
        if closed_totals is not None and want != closed_totals[key]:
            problems.append(f"model.expect.{key}: expected {want:,} disagree with the "
                            f"closed-form count {closed_totals[key]:,} of the layers' equations")
    return Verification(rows, totals, expected_totals, problems, closed_totals, unchecked, notes)


def _difference(row: LayerRow, what: str) -> str:
    """One problem of a row with its figures: what the spec says against what was built."""
    if what == "output shape":
        return (f"output shape differs: expected {_fmt_shape(row.expected_shape)}, "
                f"built {_fmt_shape(row.shape)}")
    if what == "params":
        return f"params differ: expected {row.expected_params:,}, built {row.params:,}"
    if what == "trainable params":
        return (f"trainable params differ: expected {row.expected_trainable_params:,}, "
                f"built {row.trainable_params:,}")
    if what == "closed-form trainable params":
        return (f"expected trainable params {row.expected_trainable_params:,} disagree with the "
                f"closed-form count {row.closed_form_trainable_params:,} (trainable: false "
                "layers have none)")
    return (f"expected params {row.expected_params:,} disagree with the closed-form count "
            f"{row.closed_form_params:,} of the layer's equations")


def verify_model(model: keras.Model, spec: Spec) -> Verification:
    """Like :func:`measure`, but raise when anything differs.

    Raises:
        ArchitectureMismatch: one line naming the spec and what differs, with a Markdown table of
            every differing row (expected vs actual) in ``.table``.
    """
    result = measure(model, spec)
    if not result.ok:
        table = mismatch_table(result)
        raise ArchitectureMismatch(
            f"{spec.path}: the built model does not match the spec: "
            + "; ".join(result.problems),
            table=table,
        )
    return result


def _fmt_shape(shape) -> str:
    if shape is None:
        return "-"
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + (
        ",)" if len(shape) == 1 else ")"
    )


def architecture_table(result: Verification, only_problems: bool = False) -> str:
    """Markdown table: layer, output shape and params, expected beside measured.

    A layer without a closed form says so in the closed-form column; the full table (not
    ``only_problems``) ends with a line naming those layers, and the notes.
    """
    from tabulate import tabulate

    headers = ["layer (type)", "output shape (expected)", "output shape (built)",
               "params (expected)", "params (count_params)", "params (closed form)", "ok"]
    rows = []
    for r in result.rows:
        if only_problems and not r.problems:
            continue
        rows.append([
            f"{r.name} ({r.type})",
            _fmt_shape(r.expected_shape),
            _fmt_shape(r.shape),
            "-" if r.expected_params is None else f"{r.expected_params:,}",
            f"{r.params:,}",
            (r.closed_form_note or "-") if r.closed_form_params is None
            else f"{r.closed_form_params:,}",
            "yes" if not r.problems else "NO: " + ", ".join(r.problems),
        ])
    closed = result.closed_form_totals or {}
    for key, value in result.totals.items():
        want = result.expected_totals.get(key)
        bad = want is not None and (want != value or want != closed.get(key, want))
        if only_problems and not bad:
            continue
        rows.append([key.replace("_", " "), "", "", "-" if want is None else f"{want:,}",
                     f"{value:,}", f"{closed[key]:,}" if key in closed else "",
                     "NO" if bad else "yes"])
    table = tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)
    if only_problems:
        return table
    footer = [*result.notes]
    if result.unchecked:
        footer.append("no closed form (params checked against count_params() and the spec "
                      "only): " + ", ".join(result.unchecked))
    return table + "".join(f"\n\n{line}" for line in footer)


def mismatch_table(result: Verification) -> str:
    """Only the rows that differ, expected vs actual."""
    return architecture_table(result, only_problems=True)


def summary_table(model: keras.Model) -> str:
    """``model.summary()`` as a Markdown table: Layer (type), Output Shape, Param #, totals."""
    from tabulate import tabulate

    rows = [[f"{layer.name} ({type(layer).__name__})", _fmt_shape(tuple(layer.output.shape)),
             f"{layer.count_params():,}"] for layer in model.layers]
    table = tabulate(rows, headers=["Layer (type)", "Output Shape", "Param #"],
                     tablefmt="github", disable_numparse=True)
    trainable = _size(model.trainable_weights)
    total = int(model.count_params())
    return (
        f"{table}\n\nTotal params: {total:,}  \nTrainable params: {trainable:,}  \n"
        f"Non-trainable params: {total - trainable:,}"
    )
