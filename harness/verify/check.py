"""The built model against its spec: every layer's output shape and params, and the totals,
against Keras's counts and the closed forms; all problems collected, then raised together.

The trainable / non-trainable split (``trainable: false`` layers) is checked per layer
(``expect.trainable_params``) and in the totals, against Keras's weights and the closed forms.
A factory model (``model.factory``) has no layer list in the spec, so its layers have no closed
forms: its rows are checked against ``model.expect.layers`` (by Keras layer name) and
``count_params()`` only, and the verification says so in :attr:`Verification.notes`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ArchitectureMismatch
from .closed_form import closed_form_params, is_trainable, no_closed_form_note
from .rows import LayerRow, Verification, count_weights
from .shapes import layer_shapes
from .tables import format_shape, mismatch_table

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from ..spec import LayerExpect, Spec


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
        trainable_params=count_weights(layer.trainable_weights),
        non_trainable_params=count_weights(layer.non_trainable_weights),
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
                   else no_closed_form_note(ls))
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
        "trainable_params": count_weights(model.trainable_weights),
        "non_trainable_params": count_weights(model.non_trainable_weights),
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
        return (f"output shape differs: expected {format_shape(row.expected_shape)}, "
                f"built {format_shape(row.shape)}")
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
