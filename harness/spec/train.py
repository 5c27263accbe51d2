"""The ``train`` section of a spec: optimizer, loss, metrics and schedule, checked against the
committed table of Keras names (no TensorFlow)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator

from ..keras_names import keras_names
from .base import Frozen, NonNegativeInt, PositiveInt, did_you_mean

# Keras 2 arguments of compile/optimizers renamed in Keras 3.
RENAMED_KERAS2_TRAIN = {"lr": "learning_rate"}


def _known(kind: str, names: Callable[[], tuple[str, ...]]) -> AfterValidator:
    """A validator: the value must be one of ``names()`` (the committed Keras table)."""

    def check(value: str) -> str:
        known = names()
        if value not in known:
            hint = did_you_mean(value, known) or f" (known: {', '.join(known)})"
            raise ValueError(f"unknown {kind} '{value}'{hint}")
        return value

    return AfterValidator(check)


Optimizer = Annotated[str, _known("optimizer", lambda: keras_names().optimizers)]
Loss = Annotated[str, _known("loss", lambda: keras_names().losses)]
Metric = Annotated[str, _known("metric", lambda: keras_names().metrics)]


class TrainSpec(Frozen):
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
