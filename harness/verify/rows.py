"""What a verification found: one row per layer, expected beside measured, and the totals."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


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


def count_weights(weights: Iterable[Any]) -> int:
    """The number of values in a list of weight arrays (``layer.trainable_weights``, say)."""
    import numpy as np

    return int(sum(np.prod(w.shape) for w in weights))
