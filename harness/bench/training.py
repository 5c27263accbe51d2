"""The bench's training trials: the same model trained through the harness and as a plain
Keras script, each set up once, warmed up, then timed in rounds by one clock.

:class:`TrainingRun` holds what both variants share: the set-up (build, compile, the warm-up
epoch), the clock and the timed rounds. :class:`HarnessTraining` trains as ``harness run`` does
(with its per-epoch saving); :class:`PlainKerasTraining` as a plain script would (nothing saved).
"""

from __future__ import annotations

import io
import tempfile
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..checkpoint import Checkpointer
from ..errors import TrainingError
from ..machine import DeviceStatus, gpu_visible
from .inputs import train_arrays, train_section

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from ..data import Dataset
    from ..spec import LayerSpec, Spec
    from ..train import TrainOutcome


def pin_generic_kernels(model: keras.Model) -> None:
    """Keep LSTM/GRU layers off cuDNN (``use_cudnn=False``) for a CPU run on a GPU machine.

    With a GPU visible, Keras puts the cuDNN op into the graph even under ``tf.device('/CPU:0')``
    and TensorFlow's soft placement then runs it on the GPU: the "CPU" figures would be partly
    GPU ones. Pinned, the layers run Keras's generic loop, as on a machine without a GPU, and may
    be compiled with XLA again.
    """
    for layer in model.layers:
        if type(layer).__name__ in ("LSTM", "GRU"):
            layer.use_cudnn = False
            layer.supports_jit = True


@dataclass
class Trial:
    """One variant's training of one model: set up once, warmed up, then timed in rounds.

    Attributes:
        variant: ``harness`` (build_model, compile_model, train_model) or ``plain`` (a plain
            Keras script).
        mode: execution mode.
        setup_s: build + compile wall time (s).
        first_epoch_s: wall time of the warm-up fit of one epoch (tracing/compilation included).
        timed_s: wall time of each round's fit of the timed epochs (s).
        timed_cpu_s: CPU time of this process (all threads) over each of those fits (s): less
            sensitive than wall time to other processes on a shared machine.
        epoch_time_s: every timed epoch (s), timed inside ``fit`` from the start to the end of
            the epoch (validation included): the harness's own per-epoch times; for the plain
            script, a stopwatch callback's (epoch hooks only, so Keras's batch-level dispatch
            is left as it is).
        epoch_save_s: the harness only: time (s) of its per-epoch saving (checkpoint and run
            file), which runs after its recorder has taken the epoch's time.
        jit_compile: what the model compiled with after Keras resolved it (``model.jit_compile``).
        model: the trained model (not in the results).
    """

    variant: str
    mode: str
    setup_s: float = 0.0
    first_epoch_s: float = 0.0
    timed_s: list[float] = field(default_factory=list)
    timed_cpu_s: list[float] = field(default_factory=list)
    epoch_time_s: list[float] = field(default_factory=list)
    epoch_save_s: list[float] = field(default_factory=list)
    jit_compile: bool = False
    model: Any = field(default=None, repr=False)  # a keras.Model

    @property
    def total_s(self) -> float:
        """Build, compile, the first epoch and every timed epoch (s)."""
        return self.setup_s + self.first_epoch_s + sum(self.timed_s)

    def as_dict(self) -> dict[str, Any]:
        return {"variant": self.variant, "mode": self.mode, "setup_s": self.setup_s,
                "first_epoch_s": self.first_epoch_s, "timed_s": self.timed_s,
                "timed_cpu_s": self.timed_cpu_s, "epoch_time_s": self.epoch_time_s,
                "epoch_save_s": self.epoch_save_s, "jit_compile": self.jit_compile}

    @property
    def epoch_with_saving_s(self) -> list[float]:
        """Each timed epoch with the harness's per-epoch saving after it (s)."""
        if not self.epoch_save_s:  # the plain script saves nothing
            return list(self.epoch_time_s)
        return [e + s for e, s in zip(self.epoch_time_s, self.epoch_save_s, strict=True)]


class TrainingRun(ABC):
    """One variant's trial of one spec in one mode on one device: :meth:`setup` builds,
    compiles and trains the warm-up epoch, :meth:`timed` trains and times more epochs, and
    :meth:`clock` counts the timed epochs. A variant gives :meth:`build` and :meth:`_fit`."""

    variant = ""

    def __init__(self, spec: Spec, data: Dataset, mode: str, device: DeviceStatus,
                 pin_generic: bool = False):
        self.spec, self.data, self.device, self.pin = spec, data, device, pin_generic
        self.trial = Trial(self.variant, mode)
        self._last_saves: list[float] = []  # the saving after each epoch of the last _fit

    def setup(self) -> None:
        """Build, compile and train the warm-up epoch."""
        import keras
        import tensorflow as tf

        keras.utils.set_random_seed(train_section(self.spec).seed)
        with tf.device(self.device.tf_device):
            t0 = time.perf_counter()
            model = self.build()
            t1 = time.perf_counter()
            self._fit(model, 1)
            t2 = time.perf_counter()
        self.trial.model, self.trial.setup_s, self.trial.first_epoch_s = model, t1 - t0, t2 - t1
        self.trial.jit_compile = bool(model.jit_compile)

    def clock(self) -> float:
        """The bench's clock: seconds of timed epochs so far, each timed inside ``fit`` from
        the start to the end of the epoch (validation included), as :attr:`Trial.epoch_time_s`
        records them.

        It stands still outside those epochs (Keras's per-``fit`` set-up and tear-down, the
        harness's saving after each epoch), so ``clock() - before`` around :meth:`timed` is the
        epoch time ``harness bench`` reports. The pytest-benchmark tests (tests/bench) time
        their rounds with this clock, so their figures are the same measurement.
        """
        return float(sum(self.trial.epoch_time_s))

    def timed(self, epochs: int) -> float:
        """Train ``epochs`` more epochs; record and return their wall time (s), the whole
        ``fit`` call (:meth:`clock` counts only the epochs inside it)."""
        import tensorflow as tf

        with tf.device(self.device.tf_device):
            c0, t0 = time.process_time(), time.perf_counter()
            per_epoch = self._fit(self.trial.model, epochs)
            t1, c1 = time.perf_counter(), time.process_time()
        self.trial.timed_s.append(t1 - t0)
        self.trial.timed_cpu_s.append(c1 - c0)
        self.trial.epoch_time_s.extend(per_epoch)
        self.trial.epoch_save_s.extend(self._last_saves)
        return t1 - t0

    @abstractmethod
    def build(self) -> keras.Model:
        """The compiled model of this variant and mode (untrained; kernels pinned when asked)."""

    @abstractmethod
    def _fit(self, model: keras.Model, epochs: int) -> list[float]:
        """Train ``epochs`` epochs; return each one's time (s) inside ``fit`` and set
        ``_last_saves`` to the saving after each (none for a variant that saves nothing)."""


class HarnessTraining(TrainingRun):
    """Training through the harness as ``harness run`` does it: ``build_model``,
    ``compile_model`` and ``train_model`` with its per-epoch recorder, NaN check and progress
    lines (printed to a buffer), and after every epoch the run file and, on the schedule of
    :class:`harness.checkpoint.Checkpointer`, a checkpoint (weights and optimizer state), written
    atomically (in a temporary folder)."""

    variant = "harness"

    def __init__(self, spec: Spec, data: Dataset, mode: str, device: DeviceStatus,
                 pin_generic: bool = False):
        super().__init__(spec, data, mode, device, pin_generic)
        self.sink = io.StringIO()
        self._folder = tempfile.TemporaryDirectory(prefix="harness-bench-")
        self._epochs_done = 0
        # one checkpoint schedule across the warm-up and every round, as in one `harness run`
        self._checkpoints = Checkpointer(Path(self._folder.name), "bench")

    def build(self) -> keras.Model:
        from ..build import build_model, compile_model
        from ..train import EXECUTION_MODES

        model = build_model(self.spec)
        if self.pin:
            pin_generic_kernels(model)
        compile_model(model, self.spec, jit_compile=EXECUTION_MODES[self.trial.mode])
        return model

    def _fit(self, model: keras.Model, epochs: int) -> list[float]:
        from ..results import SCHEMA_VERSION, write_json_atomic
        from ..train import train_model

        folder = Path(self._folder.name)
        before = self._epochs_done

        def save_epoch(outcome: TrainOutcome) -> None:
            # as pipeline.run_spec's: a checkpoint when due, and the run file
            t0 = time.perf_counter()
            done = before + outcome.epochs_done

            def write_run(epoch: int | None) -> None:
                write_json_atomic(folder / "run.json", {
                    "schema_version": SCHEMA_VERSION, "status": "running",
                    "history": outcome.history, "epoch_time_s": outcome.epoch_time_s,
                    "epochs_done": done,
                    "checkpoint": None if epoch is None else {"epoch": epoch}})

            self._checkpoints.after_epoch(model, done, outcome.epoch_time_s[-1], write_run)
            saves.append(time.perf_counter() - t0)

        saves: list[float] = []
        outcome = train_model(model, self.spec, self.data, epochs=epochs,
                              on_epoch=save_epoch, stream=self.sink)
        if outcome.status != "complete":
            raise TrainingError(f"{self.spec.name}: bench training stopped: "
                                f"{outcome.stop_reason}")
        self._epochs_done += outcome.epochs_done
        self._last_saves = saves
        return list(outcome.epoch_time_s)


def _plain_layer(layer: LayerSpec) -> keras.layers.Layer:
    """A layer as a plain script writes it: ``keras.layers.LSTM(32)``, a wrapper around its
    wrapped layer (``keras.layers.Bidirectional(keras.layers.LSTM(32))``)."""
    import keras

    config = layer.keras_config()
    if layer.layer is not None:
        config["layer"] = _plain_layer(layer.layer)
    return getattr(keras.layers, layer.type)(**config)


class PlainKerasTraining(TrainingRun):
    """The same model, data and settings as a plain Keras script would write them:
    ``keras.Sequential`` of the spec's layers, ``compile`` with the spec's optimizer, loss and
    metrics, ``fit`` with its batch_size and validation_split, ``verbose=0``; no harness code."""

    variant = "plain"

    def build(self) -> keras.Model:
        import keras

        from ..train import EXECUTION_MODES

        spec, train = self.spec, train_section(self.spec)
        model_input = spec.model.input
        assert model_input is not None and spec.model.layers is not None  # a Sequential spec
        model = keras.Sequential(
            [keras.Input(shape=tuple(model_input.shape), dtype=model_input.dtype)]
            + [_plain_layer(layer) for layer in spec.model.layers]
        )
        if self.pin:
            pin_generic_kernels(model)
        optimizer = keras.optimizers.get(train.optimizer)
        if train.learning_rate is not None:
            optimizer.learning_rate = train.learning_rate
        model.compile(optimizer=optimizer, loss=train.loss, metrics=list(train.metrics),
                      jit_compile=EXECUTION_MODES[self.trial.mode])
        return model

    def _fit(self, model: keras.Model, epochs: int) -> list[float]:
        train = train_section(self.spec)
        x_train, y_train = train_arrays(self.data)
        stopwatch = _stopwatch()
        model.fit(x_train, y_train, epochs=epochs,
                  batch_size=train.batch_size, validation_split=train.validation_split,
                  verbose=0, callbacks=[stopwatch])
        self._last_saves = []
        return stopwatch.epoch_time_s


def _stopwatch() -> keras.callbacks.Callback:
    """A callback that times epochs and nothing else (no batch hooks); its ``epoch_time_s``
    lists each epoch's seconds."""
    import keras

    class Stopwatch(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.epoch_time_s: list[float] = []

        def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self._t0 = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self.epoch_time_s.append(time.perf_counter() - self._t0)

    return Stopwatch()


def training_runner(variant: str, spec: Spec, data: Dataset, mode: str,
                    device: DeviceStatus) -> TrainingRun:
    """The trial runner ``harness bench`` uses for one variant (``harness`` or ``plain``) and
    mode on a device; on the CPU of a machine with a GPU its LSTM/GRU layers are pinned to the
    generic kernels (:func:`pin_generic_kernels`). The pytest-benchmark tests use it too."""
    cls = HarnessTraining if variant == "harness" else PlainKerasTraining
    return cls(spec, data, mode, device, pin_generic=device.name == "cpu" and gpu_visible())


__all__ = ["HarnessTraining", "PlainKerasTraining", "Trial", "TrainingRun",
           "pin_generic_kernels", "training_runner"]
