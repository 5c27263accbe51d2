"""The ``reference`` section of a spec: the figures published for the model, and their source."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import Fraction, Frozen, NonNegativeFloat, PositiveInt


class Reference(Frozen):
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
