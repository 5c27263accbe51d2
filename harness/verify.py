"""Verify a built model against its spec: per-layer output shape and params, and totals.

Expected params are checked from two sides: against what Keras counts (``count_params()``) and
against closed-form counts from the layer equations (REFERENCE.md): Embedding n*d, Dense d*u+u,
SimpleRNN u*(u+d+1), LSTM 4*u*(u+d+1), GRU 3*u*(u+d+1) with ``reset_after=False`` and
3*u*(u+d+2) with ``reset_after=True``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ArchitectureMismatch

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from .spec import Spec


@dataclass(frozen=True)
class LayerRow:
    """One row of the architecture table: a layer's expected and measured figures."""

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
            "trainable_params": self.trainable_params,
            "non_trainable_params": self.non_trainable_params,
        }


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify_model`: the rows, the totals, and every problem found."""

    rows: list[LayerRow]
    totals: dict[str, int]
    expected_totals: dict[str, int | None]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "layers": [r.as_dict() for r in self.rows],
            "totals": self.totals,
            "expected_totals": self.expected_totals,
            "problems": self.problems,
        }


def closed_form_params(layer_spec, input_features: int | None) -> int | None:
    """Params of a layer from its equations; None when the layer type has no formula here.

    Args:
        layer_spec: a layer of a :class:`harness.spec.Spec`.
        input_features: d, the size of the last axis of the layer's input.
    """
    t = layer_spec.type
    if t == "Embedding":
        return layer_spec.input_dim * layer_spec.output_dim
    if t == "Dropout":
        return 0
    if input_features is None:
        return None
    d, bias = input_features, getattr(layer_spec, "use_bias", True)
    if t == "Dense":
        return d * layer_spec.units + (layer_spec.units if bias else 0)
    u = layer_spec.units
    gates = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}.get(t)
    if gates is None:
        return None
    biases = 0
    if bias:
        biases = 2 if (t == "GRU" and layer_spec.reset_after) else 1
    return gates * u * (u + d + biases)


def _output_features(layer_spec, d: int | None) -> int | None:
    if layer_spec.type == "Embedding":
        return layer_spec.output_dim
    if hasattr(layer_spec, "units"):
        return layer_spec.units
    return d


def measure(model: keras.Model, spec: Spec) -> Verification:
    """Compare every layer of a built model with the spec; collect all problems, raise nothing."""
    import numpy as np

    def size(weights) -> int:
        return int(sum(np.prod(w.shape) for w in weights))

    rows: list[LayerRow] = []
    problems: list[str] = []
    d = spec.model.input.shape[-1] if spec.model.input.shape else None
    if spec.model.layers and spec.model.layers[0].type == "Embedding":
        d = None
    if len(model.layers) != len(spec.model.layers):
        problems.append(
            f"the model has {len(model.layers)} layers, the spec {len(spec.model.layers)}"
        )
    for i, (layer, ls) in enumerate(zip(model.layers, spec.model.layers, strict=False)):
        cf = closed_form_params(ls, d)
        d = _output_features(ls, d)
        expect = ls.expect
        row = LayerRow(
            index=i,
            name=layer.name,
            type=type(layer).__name__,
            expected_shape=None if expect is None else tuple(expect.output_shape),
            shape=tuple(layer.output.shape),
            expected_params=None if expect is None else expect.params,
            params=int(layer.count_params()),
            trainable_params=size(layer.trainable_weights),
            non_trainable_params=size(layer.non_trainable_weights),
            closed_form_params=cf,
        )
        rows.append(row)
        for what in row.problems:
            problems.append(f"model.layers[{i}] ({row.type}): {_difference(row, what)}")
        if expect is not None and expect.trainable_params is not None:
            if expect.trainable_params != row.trainable_params:
                problems.append(f"model.layers[{i}] ({row.type}): trainable params differ")
    totals = {
        "total_params": int(model.count_params()),
        "trainable_params": size(model.trainable_weights),
        "non_trainable_params": size(model.non_trainable_weights),
    }
    me = spec.model.expect
    expected_totals: dict[str, int | None] = {
        "total_params": None if me is None else me.total_params,
        "trainable_params": None if me is None else me.trainable_params,
        "non_trainable_params": None if me is None else me.non_trainable_params,
    }
    for key, want in expected_totals.items():
        if want is not None and want != totals[key]:
            problems.append(f"model.expect.{key}: expected {want:,}, built {totals[key]:,}")
    return Verification(rows, totals, expected_totals, problems)


def _difference(row: LayerRow, what: str) -> str:
    """One problem of a row with its figures: what the spec says against what was built."""
    if what == "output shape":
        return (f"output shape differs: expected {_fmt_shape(row.expected_shape)}, "
                f"built {_fmt_shape(row.shape)}")
    if what == "params":
        return f"params differ: expected {row.expected_params:,}, built {row.params:,}"
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
    """Markdown table: layer, output shape and params, expected beside measured."""
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
            "-" if r.closed_form_params is None else f"{r.closed_form_params:,}",
            "yes" if not r.problems else "NO: " + ", ".join(r.problems),
        ])
    for key, value in result.totals.items():
        want = result.expected_totals.get(key)
        if only_problems and (want is None or want == value):
            continue
        rows.append([key.replace("_", " "), "", "", "-" if want is None else f"{want:,}",
                     f"{value:,}", "", "yes" if want in (None, value) else "NO"])
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)


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
    import numpy as np

    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    total = int(model.count_params())
    return (
        f"{table}\n\nTotal params: {total:,}  \nTrainable params: {trainable:,}  \n"
        f"Non-trainable params: {total - trainable:,}"
    )
