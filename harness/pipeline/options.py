"""The options of ``harness run`` (:class:`RunOptions`): what a run overrides or slices of its
spec, the schedule that identifies its results, and the options a resumed run takes from the run
it resumes."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..result_types import RunResult
from ..spec import Spec, TrainSpec

if TYPE_CHECKING:  # pragma: no cover
    from ..data import Dataset

DEFAULT_MODE = "xla"
# Options a resumed run takes from the run it resumes when they are not given again.
RESUMED_OPTIONS = ("data", "mode", "epochs", "train_samples", "test_samples", "seed",
                   "batch_size")


def train_section(spec: Spec) -> TrainSpec:
    """The spec's ``train`` section.

    Raises:
        UsageError: the spec has none (an architecture-only spec trains nothing).
    """
    if spec.train is None:
        raise UsageError(f"{spec.path}: has no train section; use 'harness verify' for it")
    return spec.train


@dataclass(frozen=True)
class RunOptions:
    """Options of ``harness run`` that override or slice the spec.

    Attributes:
        data: the data file, archive or folder of the spec's source (None: the source's own
            look-up, :mod:`harness.data`: $HARNESS_IMDB_DATA, $HARNESS_JENA_DATA, ...).
        out: the reports folder; each spec writes into ``out/<spec name>/``.
        mode: execution mode, ``xla`` (jit_compile=True, the default) or ``default`` (Keras's).
        epochs: overrides the spec's epochs.
        train_samples / test_samples: use only the first N training / test reviews.
        seed: overrides the spec's seed.
        device: ``auto`` (TensorFlow's choice), ``cpu`` or ``gpu`` (an error when none is visible).
        resume: go on with the newest interrupted run of the spec in ``out`` (options not given
            are taken from it).
        batch_size: overrides the spec's batch_size.
        deterministic: seed everything and turn on TensorFlow op determinism.
        checkpoint_every_epoch: write a checkpoint after every epoch, not only as often as 1%
            of the training time allows (:class:`harness.checkpoint.Checkpointer`).
        schedule: ``spec`` (the spec's own training), ``ci`` (its ci section, see
            :meth:`for_ci`) or ``custom`` (any override); recorded with the results, it decides
            which band applies and what a result can be compared with.
    """

    data: str | None = None
    out: str = "reports"
    mode: str | None = None
    epochs: int | None = None
    train_samples: int | None = None
    test_samples: int | None = None
    seed: int | None = None
    device: str = "auto"
    resume: bool = False
    batch_size: int | None = None
    deterministic: bool = False
    schedule: str = "spec"
    checkpoint_every_epoch: bool = False

    @classmethod
    def for_ci(cls, spec: Spec, **kwargs: Any) -> RunOptions:
        """Options that run the spec's CI schedule (its ``ci`` section).

        Raises:
            UsageError: the spec has no ci section.
        """
        if spec.ci is None:
            raise UsageError(f"{spec.path}: has no ci section; add one (epochs, band, "
                             "min_effect, ...) to give it a CI schedule")
        ci = spec.ci
        return cls(epochs=ci.epochs, train_samples=ci.train_samples,
                   test_samples=ci.test_samples, batch_size=ci.batch_size, schedule="ci",
                   **kwargs)

    def schedule_of(self, spec: Spec) -> dict[str, Any]:
        """What identifies a result's training schedule (results of different schedules are not
        comparable). Sample counts are the requested ones, None for all reviews.

        Raises:
            UsageError: the spec has no train section.
        """
        train = train_section(spec)
        overridden = any(v is not None for v in (self.epochs, self.train_samples,
                                                 self.test_samples, self.batch_size))
        name = "custom" if self.schedule == "spec" and overridden else self.schedule
        return {"name": name, "epochs": self.epochs or train.epochs,
                "batch_size": self.batch_size or train.batch_size,
                "train_samples": self.train_samples, "test_samples": self.test_samples,
                "validation_split": train.validation_split}


def resumed_options(options: RunOptions, run_file: Path, previous: RunResult) -> RunOptions:
    """The options of a resumed run: the given ones, the interrupted run's for the rest.

    Raises:
        UsageError: a given option differs from the run's (``--epochs 3`` for a run of 2).
    """
    recorded = previous.options
    merged: dict[str, Any] = {}
    conflicts = []
    for key in RESUMED_OPTIONS:
        given, was = getattr(options, key), getattr(recorded, key, None)
        if given is None:
            merged[key] = was
        elif key != "data" and was is not None and given != was:
            conflicts.append(f"--{key.replace('_', '-')} {given} (the run used {was})")
    if conflicts:
        raise UsageError(f"{run_file}: cannot resume with other options: {', '.join(conflicts)}; "
                         "leave them out to use the run's, or run without --resume")
    was = merged.get("data")
    if options.data is None and was is not None and not Path(was).exists():
        checksum = str(previous.data.checksum)[:12]
        raise UsageError(f"{run_file}: run {previous.run_id} read its data from {was} "
                         f"(sha256 {checksum}...), which is not there from this folder (results "
                         "name a file outside the project by its name only); pass --data PATH "
                         "to resume")
    return dataclasses.replace(options, **merged)


def check_same_data(run_file: Path, previous: RunResult, data: Dataset) -> None:
    """A resumed run must train on the same reviews as the run it resumes.

    Raises:
        UsageError: the archive's checksum or the arrays' shapes differ.
    """
    was = previous.data
    now = (data.checksum, data.x_train_shape, data.x_test_shape)
    if (was.checksum, was.x_train_shape, was.x_test_shape) != now:
        raise UsageError(
            f"{data.source}: not the data of run {previous.run_id} in {run_file} (sha256 "
            f"{str(data.checksum)[:12]}, x_train {now[1]} vs sha256 {str(was.checksum)[:12]}"
            f", x_train {was.x_train_shape}); pass its --data to resume"
        )


__all__ = ["DEFAULT_MODE", "RESUMED_OPTIONS", "RunOptions", "check_same_data", "resumed_options",
           "train_section"]
