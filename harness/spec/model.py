"""The ``model`` section of a spec: a layer list on an input, or a factory, and the expected
totals."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, model_validator

from .base import Frozen, NonNegativeInt, Shape
from .layers import LayerExpect, LayerSpec, expected_rank


class ModelInput(Frozen):
    """The model's input, batch dimension left out: ``[null]`` for word indices of any length."""

    shape: Shape
    dtype: Literal["int32", "int64", "float32"] = "int32"


class ModelExpect(Frozen):
    total_params: NonNegativeInt
    trainable_params: NonNegativeInt | None = None
    non_trainable_params: NonNegativeInt | None = None
    layers: dict[str, LayerExpect] | None = Field(
        default=None, description="a factory model's layers, by layer name")


FACTORY = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class ModelSpec(Frozen):
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
