"""Train a built model on the spec's data, one line of progress per epoch.

Records per-epoch loss, acc, val_loss, val_acc and epoch time (s); stops at the first NaN or
infinite loss and keeps what was recorded; a Ctrl-C keeps the epochs that finished.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from .data import ImdbData
    from .spec import Spec

HISTORY_KEYS = ("loss", "acc", "val_loss", "val_acc")
# Keras names the metric after the string given in compile(): "acc" or "accuracy".
_ALIASES = {"accuracy": "acc", "val_accuracy": "val_acc"}

EXECUTION_MODES = {
    # name -> jit_compile argument of model.compile
    "default": "auto",  # the Keras default (graph execution; XLA off for these models on TF)
    "xla": True,        # train and predict steps compiled with XLA
}


@dataclass
class TrainOutcome:
    """What training produced.

    Attributes:
        history: per-epoch ``loss``, ``acc``, ``val_loss``, ``val_acc``.
        epoch_time_s: wall time of each epoch (s), validation included.
        status: ``complete``, ``nan_loss`` (stopped at a NaN/inf loss) or ``interrupted``.
        stop_reason: a sentence for a status other than complete.
        train_samples / val_samples: samples seen per epoch, and held out by validation_split.
    """

    history: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in HISTORY_KEYS})
    epoch_time_s: list[float] = field(default_factory=list)
    status: str = "complete"
    stop_reason: str | None = None
    train_samples: int = 0
    val_samples: int = 0

    @property
    def epochs_done(self) -> int:
        return len(self.epoch_time_s)


def _make_recorder(outcome: TrainOutcome, epochs: int, stream: TextIO,
                   on_epoch: Callable[[TrainOutcome], None] | None):
    import keras

    class EpochRecorder(keras.callbacks.Callback):
        """Times epochs, records their logs, prints one line each, stops on a NaN loss."""

        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            loss = (logs or {}).get("loss")
            if loss is not None and not math.isfinite(float(loss)):
                outcome.status = "nan_loss"
                outcome.stop_reason = (
                    f"loss became {float(loss)} at epoch {outcome.epochs_done + 1}, batch "
                    f"{batch + 1}; training stopped (lower the learning rate or check the data)"
                )
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            elapsed = time.perf_counter() - self._t0
            logs = {_ALIASES.get(k, k): float(v) for k, v in (logs or {}).items()}
            bad = [k for k in HISTORY_KEYS if k in logs and not math.isfinite(logs[k])]
            if bad and outcome.status != "nan_loss":
                # A finite training loss can still give a NaN val_loss (overflowing logits).
                outcome.status = "nan_loss"
                outcome.stop_reason = (
                    f"{bad[0]} became {logs[bad[0]]} at epoch {outcome.epochs_done + 1}; training "
                    "stopped (lower the learning rate or check the data)"
                )
                self.model.stop_training = True
            if outcome.status == "nan_loss":
                return  # the epoch did not finish cleanly: keep only the finished ones
            for key in HISTORY_KEYS:
                if key in logs:
                    outcome.history[key].append(logs[key])
            outcome.epoch_time_s.append(elapsed)
            figures = "  ".join(f"{k} {logs[k]:.4f}" for k in HISTORY_KEYS if k in logs)
            print(f"epoch {epoch + 1}/{epochs}  {figures}  {elapsed:.1f} s", file=stream,
                  flush=True)
            if on_epoch is not None:
                on_epoch(outcome)

    return EpochRecorder()


def train_model(
    model: keras.Model,
    spec: Spec,
    data: ImdbData,
    *,
    epochs: int | None = None,
    on_epoch: Callable[[TrainOutcome], None] | None = None,
    stream: TextIO | None = None,
) -> TrainOutcome:
    """Fit a compiled model with the spec's epochs, batch_size and validation_split.

    As in the book, validation_split holds out the last fraction of the training arrays
    (20,000 train / 5,000 validation for IMDB), unshuffled.

    Args:
        epochs: overrides ``spec.train.epochs`` (short runs, tests).
        on_epoch: called after each finished epoch with the outcome so far (used to write
            partial results, so an interrupted run loses nothing that finished).

    Returns:
        A :class:`TrainOutcome`; a NaN loss or Ctrl-C ends training early and is recorded in
        ``status``, not raised.
    """
    train = spec.train
    assert train is not None
    stream = stream or sys.stdout
    n = len(data.x_train)
    outcome = TrainOutcome()
    outcome.val_samples = int(n * train.validation_split)
    outcome.train_samples = n - outcome.val_samples
    total = epochs or train.epochs
    recorder = _make_recorder(outcome, total, stream, on_epoch)
    try:
        model.fit(
            data.x_train,
            data.y_train,
            epochs=total,
            batch_size=train.batch_size,
            validation_split=train.validation_split,
            callbacks=[recorder],
            verbose=0,
        )
    except KeyboardInterrupt:
        outcome.status = "interrupted"
        outcome.stop_reason = (
            f"interrupted after {outcome.epochs_done} of {total} epochs; the finished epochs "
            "are kept"
        )
    return outcome


def evaluate_model(model: keras.Model, spec: Spec, data: ImdbData) -> dict[str, Any]:
    """Loss and acc on the test set (25,000 reviews unless sliced), and its wall time (s)."""
    t0 = time.perf_counter()
    values = model.evaluate(
        data.x_test, data.y_test, batch_size=spec.train.batch_size, verbose=0, return_dict=True
    )
    values = {_ALIASES.get(k, k): float(v) for k, v in values.items()}
    return {
        "loss": values.get("loss"),
        "acc": values.get("acc"),
        "samples": int(len(data.x_test)),
        "time_s": time.perf_counter() - t0,
    }
