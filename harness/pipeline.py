"""``harness run``: validate -> load data -> build -> verify -> train -> evaluate -> report.

Results of every run are kept in ``<out>/<spec name>/runs/<run id>.json``; the latest complete
run is also ``<out>/<spec name>/results.json`` with its ``report.md`` and PNGs beside it (see
:mod:`harness.runs`). Every file is written atomically. After each finished epoch the run file is
rewritten with status ``running``, and a checkpoint (:mod:`harness.checkpoint`) is saved beside it
after the first epoch and then as often as 1% of the training time allows (every epoch of a full
run on this CPU), so a run stopped by Ctrl-C or SIGTERM keeps the epochs that finished and
``--resume`` goes on from its newest checkpoint. What can be known before training (a folder
that cannot be written, a disk without room, a GPU that is not there, data that breaks
:mod:`harness.contract`) stops the run before it starts, with nothing written.
"""

from __future__ import annotations

import dataclasses
import errno
import secrets
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .errors import ResultsError, RunInterrupted, TrainingError, UsageError
from .history.record import record as record_history
from .result_types import (
    BandVerdict,
    Checkpoint,
    DataRecord,
    RunLike,
    RunResult,
    TestFigures,
    as_run,
)
from .results import (
    SCHEMA_VERSION,
    environment,
    harness_version,
    invalid_results,
    load_run,
    recorded_data,
    recorded_path,
    utc_now,
    write_json_atomic,
)
from .runs import RUNS, claim_run, find_resumable, publish, release_run, this_process
from .signals import deferred_interrupts
from .spec import Band, Spec
from .verbosity import QUIET, VERBOSE, say, shows

if TYPE_CHECKING:  # pragma: no cover
    from .build import CompiledModels

DEFAULT_MODE = "xla"
# Options a resumed run takes from the run it resumes when they are not given again.
RESUMED_OPTIONS = ("data", "mode", "epochs", "train_samples", "test_samples", "seed",
                   "batch_size")
# Room a run needs beyond its checkpoints: run file, results.json, report.md, two PNGs.
RESULTS_BYTES = 4 << 20


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
        comparable). Sample counts are the requested ones, None for all reviews."""
        train = spec.train
        overridden = any(v is not None for v in (self.epochs, self.train_samples,
                                                 self.test_samples, self.batch_size))
        name = "custom" if self.schedule == "spec" and overridden else self.schedule
        return {"name": name, "epochs": self.epochs or train.epochs,
                "batch_size": self.batch_size or train.batch_size,
                "train_samples": self.train_samples, "test_samples": self.test_samples,
                "validation_split": train.validation_split}


def write_run(run_file: Path, results: RunResult) -> None:
    """Write a run's results document: what is written is validated again (a field set to a
    value of the wrong type is a :class:`ResultsError` naming the file and the field) and has
    the keys it was built with, in that order.

    Raises:
        ResultsError: the document is not a valid run's, or the file cannot be written.
    """
    from pydantic import ValidationError

    try:
        typed = RunResult.model_validate(results.to_json_dict())
    except ValidationError as exc:
        raise invalid_results(run_file, exc) from None
    write_json_atomic(run_file, typed.to_json_dict())


def new_run_id() -> str:
    return utc_now().replace(":", "").replace("-", "") + "-" + secrets.token_hex(3)


def check_writable(folder: Path, remedy: str = "pass --out DIR") -> None:
    """Fail before anything runs when ``folder`` cannot be created or written; creates nothing.

    Args:
        remedy: the end of the message, what the user should do (the option to pass).

    Raises:
        UsageError: names the folder and the reason.
    """
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"{folder}: cannot be an output folder: {existing} is a file, not a "
                         f"folder; {remedy}")
    try:
        with tempfile.TemporaryFile(dir=existing, prefix=".write-probe-"):
            pass
    except OSError as exc:
        raise UsageError(f"{folder}: output folder is not writable ({exc.strerror or exc}); "
                         f"{remedy}") from None


def check_free_space(folder: Path, params: int) -> None:
    """Fail before training when the output disk cannot hold the run's files.

    A run keeps two checkpoints at a time (weights and up to two optimizer slots each, float32)
    and its results and report: about ``24 * params`` bytes + 4 MiB.

    Raises:
        UsageError: names the folder, the free and the needed space.
    """
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    need = 24 * params + RESULTS_BYTES
    free = shutil.disk_usage(existing).free
    if free < need:
        raise UsageError(f"{folder}: {free / 1e6:.1f} MB free on its disk, this run needs about "
                         f"{need / 1e6:.1f} MB (checkpoints, results, report); free some space "
                         "or pass --out DIR on another disk")


def resumed_options(options: RunOptions, run_file: Path, previous: RunResult) -> RunOptions:
    """The options of a resumed run: the given ones, the interrupted run's for the rest.

    Raises:
        UsageError: a given option differs from the run's (``--epochs 3`` for a run of 2).
    """
    recorded = previous.options
    merged, conflicts = {}, []
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


def check_same_data(run_file: Path, previous: RunResult, data) -> None:
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


def run_spec(spec: Spec, options: RunOptions, stream: TextIO | None = None,
             models: CompiledModels | None = None) -> RunResult:
    """Run one spec end to end and write its results and report.

    Args:
        models: compiled models to reuse across seeds (see :class:`CompiledModels`).

    Returns:
        The results document (also written to disk).

    Raises:
        HarnessError: a data, architecture, output-folder or device problem before training; a
            NaN loss or TensorFlow error in training (:class:`TrainingError`); Ctrl-C or SIGTERM
            (:class:`RunInterrupted`); every message is one line. A band miss is not raised, it
            is in ``results.band.verdict``.
    """
    from .checkpoint import Checkpointer
    from .train import EXECUTION_MODES, TrainOutcome, evaluate_model, train_model

    stream = stream or sys.stdout
    if options.mode is not None and options.mode not in EXECUTION_MODES:
        raise UsageError(f"--mode: must be one of {', '.join(EXECUTION_MODES)}, "
                         f"got {options.mode!r}")
    if not spec.trains:
        raise UsageError(f"{spec.path}: has no train section; use 'harness verify' for it")
    folder = Path(options.out) / spec.name
    check_writable(folder)
    check_writable(folder / RUNS)  # run files and checkpoints go there
    previous = run_file = None
    if options.resume:
        run_file, previous = find_resumable(folder, spec)
        options = resumed_options(options, run_file, previous)
        if previous.execution.deterministic:
            options = dataclasses.replace(options, deterministic=True)
        before = claim_run(folder, run_file)
    try:
        prepared = _prepare(spec, options, folder, stream, run_file, previous, models)
    except BaseException:
        if previous is not None:
            release_run(run_file, before)  # nothing trained: the run stays resumable
        raise
    model, data, results, run_file, start = prepared
    run_id, runs_folder = results.run_id, folder / RUNS

    def save_progress(outcome: TrainOutcome) -> None:
        results.history = outcome.history
        results.epoch_time_s = outcome.epoch_time_s
        results.epochs_done = outcome.epochs_done
        results.data.train_samples = outcome.train_samples
        results.data.val_samples = outcome.val_samples
        write_run(run_file, results)

    checkpoints = Checkpointer(runs_folder, run_id, every_epoch=options.checkpoint_every_epoch,
                               epoch=start.epochs_done or None)

    def save_epoch(outcome: TrainOutcome) -> None:
        def write_run(epoch: int | None) -> None:
            results.checkpoint = None if epoch is None else Checkpoint(epoch=epoch)
            save_progress(outcome)

        checkpoints.after_epoch(model, outcome.epochs_done, outcome.epoch_time_s[-1], write_run)

    try:
        outcome = train_model(model, spec, data, epochs=options.epochs, on_epoch=save_epoch,
                              stream=stream, start=start)
        with deferred_interrupts():
            save_progress(outcome)
        results.status = outcome.status
        results.stop_reason = outcome.stop_reason
        if outcome.status == "complete":
            try:
                results.test = TestFigures.model_validate(evaluate_model(model, spec, data))
            except KeyboardInterrupt as exc:
                by = f" by {exc.args[0]}" if exc.args else ""
                results.status = "interrupted"
                results.stop_reason = f"interrupted{by} while evaluating on the test set"
        with deferred_interrupts():
            verdict = band_verdict(band_for(spec, results.schedule.to_json_dict()), results)
            results.band = None if verdict is None else BandVerdict.model_validate(verdict)
            results.finished_utc = utc_now()
            if results.status == "complete":
                results.checkpoint = None
            write_run(run_file, results)
        record_history(results.to_json_dict(), run_file)
    except ResultsError as exc:
        if exc.errno == errno.ENOSPC:
            raise ResultsError(f"{exc}; free some space, then 'harness run {spec.path} --resume "
                               f"--out {options.out}' goes on from the last finished epoch",
                               exc.errno) from None
        raise
    if results.status != "complete":
        _stopped(spec, options, results, run_file)
    checkpoints.drop()
    _drop_partial_report(run_file.with_suffix(""))
    if results.test:
        from .figures import test_metrics

        figures = "  ".join(f"{k} {v:.4f}" for k, v in test_metrics(results).items())
        say(f"test: {figures}  ({results.test.samples} samples)", stream, at=QUIET)
    report = publish(folder, results)
    say(f"report: {report}", stream, at=QUIET)
    return results


def _prepare(spec: Spec, options: RunOptions, folder: Path, stream: TextIO,
             run_file: Path | None, previous: RunResult | None,
             models: CompiledModels | None = None):
    """Everything before training: device, data, model, checks; the run's results document.

    Returns:
        ``(model, data, results, run_file, start)``: the compiled model (holding the checkpoint
        when resuming), the data, the results document, its run file, the epochs done.
    """
    from .build import CompiledModels
    from .checkpoint import checkpoint_path, restore_checkpoint
    from .contract import check_data
    from .data import apply_pretrained, load_data, pretrained_weights
    from .devices import select_device
    from .train import EXECUTION_MODES, TrainOutcome
    from .verify import verify_model

    mode = options.mode or DEFAULT_MODE
    seed = spec.train.seed if options.seed is None else options.seed
    say(f"== {spec.name} ({spec.path}): seed {seed}, mode {mode}", stream)
    device = select_device(options.device)
    data = load_data(spec, options.data, batch_size=options.batch_size)
    for option, n, split in (("--train-samples", options.train_samples, "training"),
                             ("--test-samples", options.test_samples, "test")):
        if n is None:
            continue
        if data.generator:  # batches drawn from row ranges: nothing to slice
            raise UsageError(f"{option} {n}: {data.source} is read as generated batches "
                             f"({data.dataset}), not arrays; leave the option out (set "
                             "train.steps_per_epoch / validation_steps in the spec instead)")
        have = len(data.x_train if split == "training" else data.x_test)
        if n > have:  # slicing would quietly use fewer than asked for
            raise UsageError(f"{option} {n}: {data.source} has only {have:,} {split} "
                             f"{data.unit}; pass at most {have} or leave the option out")
    if options.train_samples or options.test_samples:
        data = data.head(options.train_samples, options.test_samples)
    contract = check_data(spec, data)
    pretrained = pretrained_weights(spec, data)  # GloVe vectors: read before anything is built
    if previous is not None:
        check_same_data(run_file, previous, data)
    say(f"data: {data.describe()}", stream)
    for check in contract:
        say(f"  contract: {check['check']}: "
            f"{(check['problem'] or 'ok') if check['ok'] else 'FAILED: ' + str(check['problem'])}",
            stream, at=VERBOSE)

    # Hashes of the spec as written, before a batch_size override.
    hashes = spec.content_hash(), spec.section_hashes()
    if options.batch_size is not None:
        spec = spec.model_copy(update={
            "train": spec.train.model_copy(update={"batch_size": options.batch_size})})
    train = spec.train
    start = TrainOutcome() if previous is None else _finished_epochs(previous)
    jit = EXECUTION_MODES[mode]
    models = models if models is not None else CompiledModels()
    # A resumed run reseeds with the epochs reached, so its shuffles do not repeat epoch 1's.
    model, built = models.fresh(spec, seed + start.epochs_done, jit_compile=jit,
                                deterministic=options.deterministic)
    apply_pretrained(model, pretrained)  # on the model that trains (a reused one too)
    verification = verify_model(built, spec)
    say(f"verify: {len(verification.rows)} layers match the spec, "
        f"{verification.totals['total_params']:,} params", stream)
    if shows(VERBOSE):
        from .verify import architecture_table

        say(architecture_table(verification), stream, at=VERBOSE)
    check_free_space(folder, verification.totals["total_params"])
    epochs = options.epochs or train.epochs
    if previous is None:
        run_id = new_run_id()
        results = _new_results(spec, options, run_id, mode, jit, seed, epochs, device, data,
                               contract, verification, hashes)
        if pretrained:
            results.data = DataRecord.model_validate(recorded_data({
                **results.data.to_json_dict(),
                "pretrained": {name: info for name, (_, info) in pretrained.items()}}))
        return model, data, results, folder / RUNS / f"{run_id}.json", start
    if start.epochs_done:
        restore_checkpoint(model, checkpoint_path(folder / RUNS, str(previous.run_id),
                                                  start.epochs_done))
    results = load_run(run_file)  # as claim_run left it: running, with a "resumed" entry
    results.execution.device = device
    say(f"resume: run {results.run_id} from epoch {start.epochs_done} of {epochs}", stream)
    return model, data, results, run_file, start


def _stopped(spec: Spec, options: RunOptions, results: RunResult, run_file: Path) -> None:
    """A run that did not complete: its own report under runs/, and a one-line error."""
    from .report import write_report

    # The published results.json/report.md stay those of the last complete run.
    write_report(results, run_file.with_suffix(""))
    status, reason = results.status, results.stop_reason
    again = f"'harness run {spec.path} --resume --out {options.out}'"
    checkpoint = results.checkpoint.epoch if results.checkpoint else 0
    there = ("there" if checkpoint == results.epochs_done
             else f"its last checkpoint, after epoch {checkpoint}")
    if status == "interrupted":
        raise RunInterrupted(f"{spec.name}: {reason}; the finished epochs are kept in {run_file}; "
                             f"{again} goes on from {there}", results=results)
    if status == "failed":
        raise TrainingError(f"{spec.name}: {reason}; the finished epochs are kept in {run_file}; "
                            f"fix the cause, then {again} goes on from {there} (--debug for "
                            "more)", results=results)
    raise TrainingError(f"{spec.name}: {reason}; partial results in {run_file}", results=results)


def _drop_partial_report(folder: Path) -> None:
    """A resumed run that completed: the report of its stopped state is out of date."""
    for path in [folder / "report.md", *folder.glob("*.png")]:  # the plots of any metric
        path.unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        pass  # absent, or holds files the user put there


def _finished_epochs(previous: RunLike):
    """The epochs of a stopped run up to its checkpoint, as a training outcome to go on from
    (a raw document is read as a :class:`RunResult`)."""
    from .train import TrainOutcome

    previous = as_run(previous)
    checkpoint = previous.checkpoint
    done = int(checkpoint.epoch or 0) if checkpoint is not None else 0
    return TrainOutcome(
        history={k: list(v or [])[:done] for k, v in previous.history.items()},
        epoch_time_s=list(previous.epoch_time_s)[:done],
    )


def _new_results(spec, options, run_id, mode, jit, seed, epochs, device, data, contract,
                 verification, hashes) -> RunResult:
    train = spec.train
    spec_hash, section_hashes = hashes
    return RunResult.model_validate({
        "schema_version": SCHEMA_VERSION,
        "harness_version": harness_version(),
        "created_utc": utc_now(),
        "run_id": run_id,
        "spec": {"name": spec.name, "path": recorded_path(spec.path), "hash": spec_hash,
                 "section_hashes": section_hashes,
                 "description": spec.description, "source": spec.source},
        "status": "running",
        "stop_reason": None,
        "process": this_process(),
        # As results record paths (relative to the project, else the file's name: never the
        # machine's absolute path); --resume outside the project then needs --data again.
        "options": {"data": None if options.data is None else recorded_path(options.data),
                    "mode": mode,
                    "epochs": epochs, "train_samples": options.train_samples,
                    "test_samples": options.test_samples, "seed": seed,
                    "batch_size": options.batch_size},
        "schedule": options.schedule_of(spec),
        "execution": {"mode": mode, "jit_compile": jit, "seed": seed,
                      "deterministic": options.deterministic, "epochs": epochs,
                      "batch_size": train.batch_size, "validation_split": train.validation_split,
                      "optimizer": train.optimizer, "loss": train.loss,
                      "metrics": list(train.metrics), "device": device},
        "data": recorded_data({
            "source": data.source, "checksum": data.checksum, "dataset": data.dataset,
            "validation": data.validation,
            "x_train_shape": data.x_train_shape, "x_test_shape": data.x_test_shape,
            "x_dtype": data.x_dtype,
            "test_samples": data.test_samples(train.batch_size), **data.info,
            "contract": contract}),
        "architecture": verification.as_dict(),
        "environment": environment(),
        "reference": None if spec.reference is None else spec.reference.model_dump(mode="json"),
        "checkpoint": None,
    })


def band_for(spec: Spec, schedule: dict[str, Any]) -> Band | None:
    """The band that applies to a result of this schedule: ``ci.band`` for the CI schedule as the
    spec declares it now (none for a CI schedule the spec no longer declares), else the spec's
    ``band``, which a run that shortens the spec's training is held to as well."""
    if schedule.get("name") == "ci":
        if spec.ci is None or schedule != RunOptions.for_ci(spec).schedule_of(spec):
            return None
        return spec.ci.band
    return spec.band


def band_verdict(band: Band | None, results: RunLike) -> dict[str, Any] | None:
    """Check a band against a run: ``verdict`` is pass, fail or no result (the run did not
    record the band's metric, or stopped before it was measured). ``best_`` follows the band's
    direction (:mod:`harness.figures`)."""
    if band is None:
        return None
    from .figures import band_value

    value = band_value(band, results)
    fields = band.model_dump()
    if value is None:
        return {**fields, "value": None, "verdict": "no result"}
    verdict = "pass" if band.low <= value <= band.high else "fail"
    return {**fields, "value": value, "verdict": verdict}


__all__ = ["RunOptions", "band_for", "band_verdict", "check_free_space", "check_writable",
           "run_spec"]
