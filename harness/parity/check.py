"""A whole model against the NumPy references, layer by layer, and end to end."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ArchitectureMismatch
from .forward import output_mask, reference_forward, spec_layers
from .layers import NoReference

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from ..spec import LayerSpec, Spec

DEFAULT_ATOL = 1e-5  # float32 outputs: the tolerance


@dataclass(frozen=True)
class ParityRow:
    """One layer's largest absolute difference between its Keras and NumPy outputs.

    ``max_abs_diff`` is None for a layer without a reference; ``note`` then says why.
    """

    name: str
    type: str
    output_shape: tuple
    max_abs_diff: float | None
    atol: float
    note: str | None = None

    @property
    def checked(self) -> bool:
        return self.max_abs_diff is not None

    @property
    def ok(self) -> bool:
        """Within atol (NaN is not), or not checked (see :attr:`ParityResult.unchecked`)."""
        return self.max_abs_diff is None or bool(self.max_abs_diff <= self.atol)


@dataclass(frozen=True)
class ParityResult:
    """Per-layer rows, each layer fed the Keras output of the layer before it, and a last row
    ``model`` comparing the model's output with the NumPy layers chained from the input alone
    (not checked when a layer has no reference)."""

    rows: list[ParityRow]
    inputs: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def problems(self) -> list[str]:
        return [f"{r.name} ({r.type}) differs by {r.max_abs_diff:.2e} > {r.atol:.0e}"
                for r in self.rows if not r.ok]

    @property
    def unchecked(self) -> list[str]:
        """``name (type): why`` of each row without a reference."""
        return [f"{r.name} ({r.type}): {r.note}" for r in self.rows if not r.checked]

    def table(self) -> str:
        """Markdown: layer (type), output shape, max abs diff, tolerance, ok; then a line naming
        the layers without a reference."""
        from tabulate import tabulate

        rows = [[f"{r.name} ({r.type})", str(r.output_shape),
                 "-" if r.max_abs_diff is None else f"{r.max_abs_diff:.2e}", f"{r.atol:.0e}",
                 "no reference" if not r.checked else "ok" if r.ok else "DIFFERS"]
                for r in self.rows]
        table = tabulate(rows, headers=["layer (type)", "output shape", "max abs diff",
                                        "tolerance", "ok"],
                         tablefmt="github", disable_numparse=True)
        footer = [*self.notes]
        if self.unchecked:
            footer.append("not checked, no NumPy reference: " + "; ".join(self.unchecked))
        return table + "".join(f"\n\n{line}" for line in footer)


def randomize_biases(model: keras.Model, seed: int = 0, scale: float = 0.1) -> None:
    """Set every bias of the model to N(0, scale^2) values.

    A freshly built model's biases are zeros (the LSTM forget gate's ones), which would hide a
    bias-layout error (a GRU's two bias rows swapped, say); kernels keep their initial values,
    whose scale keeps the activations out of saturation.
    """
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        values = [rng.normal(0.0, scale, w.shape).astype(w.dtype) if v.name == "bias" else w
                  for v, w in zip(layer.weights, layer.get_weights(), strict=True)]
        if values:
            layer.set_weights(values)


def measure_parity(model: keras.Model, spec: Spec, x: np.ndarray,
                   atol: float = DEFAULT_ATOL, inputs: str = "") -> ParityResult:
    """Run x through the model and through the NumPy references, layer by layer; raise nothing
    for a difference (a layer without a reference gets a "no reference" row).

    Args:
        model: built from ``spec`` (its layers in the spec's order).
        x: the model's input: (batch_size, timesteps) int indices, (batch_size, features) or
            (batch_size, timesteps, features) floats.
        atol: the largest absolute difference allowed per output value.
        inputs: words describing x for the report (``random inputs``, ``4 test reviews``).

    Raises:
        ArchitectureMismatch: the model's layers do not pair with the spec's, or a layer's weights
            do not have the layout its reference needs.
        UsageError: a factory model.
    """
    import keras

    layers = spec_layers(spec)
    if len(model.layers) != len(layers):
        raise ArchitectureMismatch(f"{spec.path}: the model has {len(model.layers)} layers, the "
                                   f"spec {len(layers)}; rebuild it from the spec")
    probe = keras.Model(model.inputs[0], [layer.output for layer in model.layers])
    # predict runs a compiled graph (inference mode, Dropout off): several times faster than an
    # eager call over 500 timesteps.
    outputs = probe.predict(x, batch_size=len(x), verbose=0)
    keras_outputs = [np.asarray(y) for y in (outputs if isinstance(outputs, list) else [outputs])]
    rows = []
    layer_in, chained, mask = np.asarray(x), np.asarray(x), None
    broken: str | None = None  # the first layer without a reference ends the chained pass
    for i, (layer, ls) in enumerate(zip(model.layers, layers, strict=True)):
        where = f"{spec.path}: model.layers[{i}] ({ls.describe()})"
        theirs = keras_outputs[i]
        weights = layer.get_weights()
        try:
            mine = reference_forward(ls, weights, layer_in, mask)
            if broken is None:
                chained = reference_forward(ls, weights, chained, mask)
        except NoReference as exc:
            rows.append(ParityRow(layer.name, type(layer).__name__, theirs.shape, None, atol,
                                  str(exc)))
            broken = broken or f"{layer.name} ({ls.describe()})"
        except ValueError as exc:
            raise ArchitectureMismatch(f"{where}: {exc}; the layer's weights do not have the "
                                       "layout of harness/parity/") from None
        else:
            diff = _max_abs_diff(mine, theirs, where)
            rows.append(ParityRow(layer.name, type(layer).__name__, theirs.shape, diff, atol))
        mask = _next_mask(layer, ls, layer_in, mask)
        layer_in = theirs
    shape = keras_outputs[-1].shape
    if broken is None:
        diff = _max_abs_diff(chained, keras_outputs[-1], f"{spec.path}: the model's output")
        rows.append(ParityRow("model", "end to end", shape, diff, atol))
    else:
        rows.append(ParityRow("model", "end to end", shape, None, atol,
                              f"the chained NumPy pass needs every layer; {broken} has none"))
    return ParityResult(rows, inputs)


def _next_mask(layer: keras.Layer, layer_spec: LayerSpec, x: np.ndarray,
               mask: np.ndarray | None) -> np.ndarray | None:
    """The mask after a layer: :func:`output_mask`, else Keras's own ``compute_mask`` for a layer
    type whose rule is not known here (so the layers after it are fed the mask Keras feeds)."""
    try:
        return output_mask(layer_spec, x, mask)
    except NoReference:
        if mask is None or not layer.supports_masking:
            return None
        out = layer.compute_mask(x, mask)
        return None if out is None else np.asarray(out)


def _max_abs_diff(mine: np.ndarray, theirs: np.ndarray, where: str) -> float:
    if mine.shape != theirs.shape:
        raise ArchitectureMismatch(f"{where}: Keras outputs shape {theirs.shape}, the NumPy "
                                   f"reference {mine.shape}; check return_sequences")
    if mine.size == 0:
        return 0.0
    return float(np.max(np.abs(mine - theirs.astype(np.float64))))


def check_model_parity(model: keras.Model, spec: Spec, x: np.ndarray,
                       atol: float = DEFAULT_ATOL, inputs: str = "") -> ParityResult:
    """Like :func:`measure_parity`, but raise when a layer differs by more than atol.

    Raises:
        ArchitectureMismatch: one line naming the spec and each differing layer, with the per-layer
            table in ``.table``.
    """
    result = measure_parity(model, spec, x, atol, inputs)
    if not result.ok:
        on = f" on {inputs}" if inputs else ""
        raise ArchitectureMismatch(
            f"{spec.path}: the model differs from the NumPy reference{on}: "
            + "; ".join(result.problems)
            + "; a layer does not compute the equations of harness/parity/ for its weights",
            table=result.table(),
        )
    return result
