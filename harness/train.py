"""Train a built model on the spec's data, one line of progress per epoch (none with ``-q``;
Keras's own lines too with ``-v``, :mod:`harness.verbosity`).

Records every figure Keras logs per epoch (loss, each compile metric, their ``val_`` forms) under
its Keras name, ``accuracy`` as ``acc`` (:data:`HISTORY_ALIASES`), and the epoch time (s); stops
at the first NaN or infinite value and keeps what was recorded; a Ctrl-C (or SIGTERM, see
:mod:`harness.signals`) or an error inside TensorFlow keeps the epochs that finished. Training can
start after the epochs of an earlier, stopped run (``start``), from its checkpoint.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from .figures import history_order
from .signals import deferred_interrupts
from .verbosity import keras_verbose, say

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from .data import Dataset
    from .spec import Spec

# Keras names a metric after the string given in compile(): "accuracy" is recorded as "acc", the
# field's term (as results schema 0 -> 1 renames it); every other log keeps its Keras name.
HISTORY_ALIASES = {"accuracy": "acc", "val_accuracy": "val_acc"}


def history_key(log_name: str) -> str:
    """The history key of a Keras log name: ``acc`` for ``accuracy``, else the name."""
    return HISTORY_ALIASES.get(log_name, log_name)

EXECUTION_MODES: dict[str, bool | str] = {
    # name -> jit_compile argument of model.compile
    "default": "auto",  # the Keras default (graph execution; XLA off for these models on TF)
    "xla": True,        # train and predict steps compiled with XLA
}


@dataclass
class TrainOutcome:
    """What training produced.

    Attributes:
        history: per-epoch value of every logged key (``loss``, ``acc``, ``val_loss``,
            ``val_acc``, ``mae``, ...), in Keras's order.
        epoch_time_s: wall time of each epoch (s), validation included.
        status: ``complete``, ``nan_loss`` (stopped at a NaN/inf loss), ``interrupted``
            (Ctrl-C or SIGTERM) or ``failed`` (TensorFlow raised an error).
        stop_reason: a sentence for a status other than complete.
        train_samples / val_samples: samples seen per epoch, and validated on per epoch
            (held out by validation_split, explicit validation data, or validation_steps
            batches of a generator).
    """

    history: dict[str, list[float]] = field(default_factory=dict)
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

        # Its batch hook only reads the loss and may ask to stop, so Keras may run it on its
        # callback thread; otherwise Keras waits for every batch's logs before the next step.
        async_safe = True

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
            logs = {history_key(k): float(v) for k, v in (logs or {}).items()}
            logs = {k: logs[k] for k in history_order(logs)}  # loss first, then metrics, val_
            bad = next((k for k, v in logs.items() if not math.isfinite(v)), None)
            if bad and outcome.status != "nan_loss":
                outcome.status = "nan_loss"
                outcome.stop_reason = (f"{bad} became {logs[bad]} at epoch {epoch + 1}; training "
                                       "stopped (lower the learning rate or check the data)")
                self.model.stop_training = True
            if outcome.status == "nan_loss":
                return  # the epoch did not finish cleanly: keep only the finished ones
            # A signal now would leave the history, the checkpoint and the run file out of step.
            with deferred_interrupts():
                for key, value in logs.items():
                    outcome.history.setdefault(key, []).append(value)
                outcome.epoch_time_s.append(elapsed)
                figures = "  ".join(f"{k} {v:.4f}" for k, v in logs.items())
                say(f"epoch {epoch + 1}/{epochs}  {figures}  {elapsed:.1f} s", stream)
                if on_epoch is not None:
                    on_epoch(outcome)

    return EpochRecorder()


def train_model(
    model: keras.Model,
    spec: Spec,
    data: Dataset,
    *,
    epochs: int | None = None,
    on_epoch: Callable[[TrainOutcome], None] | None = None,
    stream: TextIO | None = None,
    start: TrainOutcome | None = None,
) -> TrainOutcome:
    """Fit a compiled model with the spec's epochs, batch_size and the data's way of feeding
    fit (:meth:`harness.data.Dataset.fit_args`).

    As in the book, validation_split holds out the last fraction of the training arrays
    (20,000 train / 5,000 validation for IMDB), unshuffled; explicit validation arrays
    (``data.validation_samples``) or a generator's validation batches replace it.

    Args:
        epochs: overrides ``spec.train.epochs`` (short runs, tests).
        on_epoch: called after each finished epoch with the outcome so far (used to write
            partial results and a checkpoint, so an interrupted run loses nothing that finished);
            SIGINT and SIGTERM wait until it returns.
        start: the epochs an earlier run finished (resume): training goes on from epoch
            ``start.epochs_done + 1`` (Keras's ``initial_epoch``) and appends to its history.
            The model must hold that run's checkpoint.

    Returns:
        A :class:`TrainOutcome`; a NaN loss, Ctrl-C, SIGTERM or a TensorFlow error ends training
        early and is recorded in ``status``, not raised.

    Raises:
        HarnessError: raised by ``on_epoch`` (a results file that cannot be written).
    """
    train = spec.train
    assert train is not None
    stream = stream or sys.stdout
    outcome = start or TrainOutcome()
    outcome.status, outcome.stop_reason = "complete", None
    outcome.train_samples, outcome.val_samples = data.sample_counts(train)
    total = epochs or train.epochs
    recorder = _make_recorder(outcome, total, stream, on_epoch)
    try:
        model.fit(
            **data.fit_args(train),  # arrays and validation_split/_data, or batches and steps
            epochs=total,
            callbacks=[recorder],
            verbose=keras_verbose(),  # -v: Keras's own epoch lines too
            initial_epoch=outcome.epochs_done,
        )
    except KeyboardInterrupt as exc:
        outcome.status = "interrupted"
        how = f" by {exc.args[0]}" if exc.args and str(exc.args[0]).startswith("SIG") else ""
        outcome.stop_reason = f"interrupted{how} after {outcome.epochs_done} of {total} epochs"
    except Exception as exc:
        if not _is_tensorflow_error(exc):
            raise
        epoch = outcome.epochs_done + 1
        error = f"{type(exc).__name__}: {_op_error_summary(exc)}"
        if _weights_not_finite(model):
            # An update overflowed: later ops then fail on NaN (a NaN index in a gather, say).
            outcome.status = "nan_loss"
            outcome.stop_reason = (f"weights became NaN or infinite in epoch {epoch} and "
                                   f"TensorFlow stopped ({error}); lower the learning rate or "
                                   "check the data")
        else:
            outcome.status = "failed"
            outcome.stop_reason = f"TensorFlow stopped training in epoch {epoch}: {error}"
    return outcome


def _is_tensorflow_error(exc: Exception) -> bool:
    """An error raised by a TensorFlow op (out of memory, a bad index, ...), not by our code."""
    import tensorflow as tf

    return isinstance(exc, tf.errors.OpError)


def _op_error_summary(exc: Exception) -> str:
    """The line of a TensorFlow error that says what went wrong, and the op it happened in.

    TensorFlow's message starts with "Graph execution error:" and the Python stack of the op;
    the cause is the last unindented line, followed by ``[[{{node NAME}}]]``.
    """
    lines = [ln for ln in str(exc).splitlines() if ln.strip()]
    cause = next((ln for ln in reversed(lines) if not ln[0].isspace()), lines[0] if lines else "")
    node = next((ln.split("{{node ")[1].split("}}")[0] for ln in lines if "{{node " in ln), None)
    return cause.strip() + (f" (op {node})" if node else "")


def _weights_not_finite(model: keras.Model) -> bool:
    import numpy as np

    return any(not np.isfinite(w).all() for w in model.get_weights())


def evaluate_model(model: keras.Model, spec: Spec, data: Dataset) -> dict[str, Any]:
    """Every evaluated metric on the test set (``loss``, ``acc``, ``mae``, ...; ``accuracy`` as
    ``acc``), its ``samples`` (25,000 reviews unless sliced) and wall time ``time_s``."""
    train = spec.train
    assert train is not None  # only a spec that trains is evaluated
    t0 = time.perf_counter()
    values = model.evaluate(
        **data.evaluate_args(train.batch_size), verbose=keras_verbose(), return_dict=True
    )
    values = {history_key(k): float(v) for k, v in values.items()}
    values = {k: values[k] for k in history_order(values)}
    return {
        **values,
        "samples": data.test_samples(train.batch_size),
        "time_s": time.perf_counter() - t0,
    }
