"""``harness run`` for one spec and seed (:func:`run_spec`): prepare (device, data, model,
checks), train with a results file and checkpoints kept after every epoch, evaluate, report."""

from __future__ import annotations

import dataclasses
import errno
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import ResultsError, RunInterrupted, TrainingError, UsageError
from ..history.record import record as record_history
from ..result_types import BandVerdict, Checkpoint, DataRecord, RunResult, TestFigures
from ..results import load_run, recorded_data, utc_now
from ..runs import RUNS, claim_run, find_resumable, publish, release_run
from ..signals import deferred_interrupts
from ..spec import Spec
from ..verbosity import QUIET, VERBOSE, say, shows
from .bands import band_for, band_verdict
from .document import finished_epochs, new_results, new_run_id, write_run
from .options import DEFAULT_MODE, RunOptions, check_same_data, resumed_options, train_section
from .preflight import check_free_space, check_writable

if TYPE_CHECKING:  # pragma: no cover
    import keras
    import numpy as np

    from ..build import CompiledModels
    from ..checkpoint import Checkpointer
    from ..data import Dataset
    from ..train import TrainOutcome
    from ..verify import Verification

# An Embedding's pretrained matrix and what it was read from, by layer name.
Pretrained = dict[str, tuple["np.ndarray", dict[str, Any]]]


@dataclass(frozen=True)
class Resumption:
    """An interrupted run that ``--resume`` goes on with: its file, its document as found, and
    the document as it was before this process claimed it (written back if nothing trains)."""

    run_file: Path
    previous: RunResult
    unclaimed: RunResult


@dataclass
class Prepared:
    """A run ready to train: the compiled model (holding the checkpoint when resuming), its data,
    its results document and run file, and the epochs already done."""

    model: keras.Model
    data: Dataset
    results: RunResult
    run_file: Path
    start: TrainOutcome


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
    from ..train import EXECUTION_MODES

    stream = stream or sys.stdout
    if options.mode is not None and options.mode not in EXECUTION_MODES:
        raise UsageError(f"--mode: must be one of {', '.join(EXECUTION_MODES)}, "
                         f"got {options.mode!r}")
    if not spec.trains:
        raise UsageError(f"{spec.path}: has no train section; use 'harness verify' for it")
    folder = Path(options.out) / spec.name
    check_writable(folder)
    check_writable(folder / RUNS)  # run files and checkpoints go there
    resumption = None
    if options.resume:
        run_file, previous = find_resumable(folder, spec)
        options = resumed_options(options, run_file, previous)
        if previous.execution.deterministic:
            options = dataclasses.replace(options, deterministic=True)
        resumption = Resumption(run_file, previous, claim_run(folder, run_file))
    try:
        prepared = prepare(spec, options, folder, stream, resumption, models)
    except BaseException:
        if resumption is not None:  # nothing trained: the run stays resumable
            release_run(resumption.run_file, resumption.unclaimed)
        raise
    checkpoints = _train(spec, options, prepared, folder / RUNS, stream)
    results, run_file = prepared.results, prepared.run_file
    if results.status != "complete":
        _stopped(spec, options, results, run_file)
    checkpoints.drop()
    _drop_partial_report(run_file.with_suffix(""))
    if results.test:
        from ..figures import test_metrics

        figures = "  ".join(f"{k} {v:.4f}" for k, v in test_metrics(results).items())
        say(f"test: {figures}  ({results.test.samples} samples)", stream, at=QUIET)
    report = publish(folder, results)
    say(f"report: {report}", stream, at=QUIET)
    return results


def _train(spec: Spec, options: RunOptions, prepared: Prepared, runs_folder: Path,
           stream: TextIO) -> Checkpointer:
    """Train and evaluate, rewriting the run file after every epoch and at the end (with the
    band's verdict); returns the run's checkpointer.

    Raises:
        ResultsError: a file could not be written (a full disk names the ``--resume`` to run).
    """
    from ..checkpoint import Checkpointer
    from ..train import train_model

    model, results, run_file = prepared.model, prepared.results, prepared.run_file
    assert results.run_id is not None  # a new run's document has one, a resumable run's too

    def save_progress(outcome: TrainOutcome) -> None:
        results.history = outcome.history
        results.epoch_time_s = outcome.epoch_time_s
        results.epochs_done = outcome.epochs_done
        results.data.train_samples = outcome.train_samples
        results.data.val_samples = outcome.val_samples
        write_run(run_file, results)

    checkpoints = Checkpointer(runs_folder, results.run_id,
                               every_epoch=options.checkpoint_every_epoch,
                               epoch=prepared.start.epochs_done or None)

    def save_epoch(outcome: TrainOutcome) -> None:
        def write_run(epoch: int | None) -> None:
            results.checkpoint = None if epoch is None else Checkpoint(epoch=epoch)
            save_progress(outcome)

        checkpoints.after_epoch(model, outcome.epochs_done, outcome.epoch_time_s[-1], write_run)

    try:
        outcome = train_model(model, spec, prepared.data, epochs=options.epochs,
                              on_epoch=save_epoch, stream=stream, start=prepared.start)
        with deferred_interrupts():
            save_progress(outcome)
        results.status = outcome.status
        results.stop_reason = outcome.stop_reason
        if outcome.status == "complete":
            _evaluate(spec, prepared)
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
    return checkpoints


def _evaluate(spec: Spec, prepared: Prepared) -> None:
    """The test figures of a completed run; Ctrl-C while evaluating leaves it interrupted."""
    from ..train import evaluate_model

    results = prepared.results
    try:
        results.test = TestFigures.model_validate(
            evaluate_model(prepared.model, spec, prepared.data))
    except KeyboardInterrupt as exc:
        by = f" by {exc.args[0]}" if exc.args else ""
        results.status = "interrupted"
        results.stop_reason = f"interrupted{by} while evaluating on the test set"


def prepare(spec: Spec, options: RunOptions, folder: Path, stream: TextIO,
            resumption: Resumption | None, models: CompiledModels | None = None) -> Prepared:
    """Everything before training: device, data, model, checks; the run's results document."""
    from ..devices import select_device

    mode = options.mode or DEFAULT_MODE
    seed = train_section(spec).seed if options.seed is None else options.seed
    say(f"== {spec.name} ({spec.path}): seed {seed}, mode {mode}", stream)
    device = select_device(options.device)
    data, contract, pretrained = _checked_data(spec, options, resumption)
    say(f"data: {data.describe()}", stream)
    for check in contract:
        say(f"  contract: {check['check']}: "
            f"{(check['problem'] or 'ok') if check['ok'] else 'FAILED: ' + str(check['problem'])}",
            stream, at=VERBOSE)

    # Hashes of the spec as written, before a batch_size override.
    hashes = spec.content_hash(), spec.section_hashes()
    if options.batch_size is not None:
        spec = spec.model_copy(update={"train": train_section(spec).model_copy(
            update={"batch_size": options.batch_size})})
    start = finished_epochs(resumption.previous) if resumption else _no_epochs()
    model, verification, jit = _build(spec, options, mode, seed + start.epochs_done, models,
                                      pretrained)
    say(f"verify: {len(verification.rows)} layers match the spec, "
        f"{verification.totals['total_params']:,} params", stream)
    if shows(VERBOSE):
        from ..verify import architecture_table

        say(architecture_table(verification), stream, at=VERBOSE)
    check_free_space(folder, verification.totals["total_params"])
    epochs = options.epochs or train_section(spec).epochs
    if resumption is None:
        run_id = new_run_id()
        results = new_results(spec, options, run_id, mode=mode, jit=jit, seed=seed,
                              epochs=epochs, device=device, data=data, contract=contract,
                              verification=verification, hashes=hashes)
        if pretrained:
            results.data = DataRecord.model_validate(recorded_data({
                **results.data.to_json_dict(),
                "pretrained": {name: info for name, (_, info) in pretrained.items()}}))
        return Prepared(model, data, results, folder / RUNS / f"{run_id}.json", start)
    if start.epochs_done:
        from ..checkpoint import checkpoint_path, restore_checkpoint

        restore_checkpoint(model, checkpoint_path(folder / RUNS, str(resumption.previous.run_id),
                                                  start.epochs_done))
    results = load_run(resumption.run_file)  # as claim_run left it: running, "resumed" entry
    results.execution.device = device
    say(f"resume: run {results.run_id} from epoch {start.epochs_done} of {epochs}", stream)
    return Prepared(model, data, results, resumption.run_file, start)


def _no_epochs() -> TrainOutcome:
    from ..train import TrainOutcome

    return TrainOutcome()


def _checked_data(spec: Spec, options: RunOptions, resumption: Resumption | None
                  ) -> tuple[Dataset, list[dict[str, Any]], Pretrained]:
    """The run's data, sliced by ``--train-samples``/``--test-samples``, with the data
    contract's checks (:func:`harness.contract.check_data`) and the pretrained vectors of its
    Embeddings (:func:`harness.data.pretrained_weights`, by layer name).

    Raises:
        UsageError: a slice of generated batches, more samples than the data has, or data other
            than the resumed run's.
    """
    from ..contract import check_data
    from ..data import load_data, pretrained_weights

    data = load_data(spec, options.data, batch_size=options.batch_size)
    for option, n, split in (("--train-samples", options.train_samples, "training"),
                             ("--test-samples", options.test_samples, "test")):
        if n is None:
            continue
        if data.generator:  # batches drawn from row ranges: nothing to slice
            raise UsageError(f"{option} {n}: {data.source} is read as generated batches "
                             f"({data.dataset}), not arrays; leave the option out (set "
                             "train.steps_per_epoch / validation_steps in the spec instead)")
        arrays = data.x_train if split == "training" else data.x_test
        assert arrays is not None  # a source that is not a generator holds arrays
        have = len(arrays)
        if n > have:  # slicing would quietly use fewer than asked for
            raise UsageError(f"{option} {n}: {data.source} has only {have:,} {split} "
                             f"{data.unit}; pass at most {have} or leave the option out")
    if options.train_samples or options.test_samples:
        data = data.head(options.train_samples, options.test_samples)
    contract = check_data(spec, data)
    pretrained = pretrained_weights(spec, data)  # GloVe vectors: read before anything is built
    if resumption is not None:
        check_same_data(resumption.run_file, resumption.previous, data)
    return data, contract, pretrained


def _build(spec: Spec, options: RunOptions, mode: str, seed: int,
           models: CompiledModels | None, pretrained: Pretrained
           ) -> tuple[keras.Model, Verification, bool | str]:
    """The compiled model of ``seed`` with the pretrained vectors set, the verification of the
    newly built one, and the ``jit_compile`` argument of ``mode``."""
    from ..build import CompiledModels
    from ..data import apply_pretrained
    from ..train import EXECUTION_MODES
    from ..verify import verify_model

    jit = EXECUTION_MODES[mode]
    models = models if models is not None else CompiledModels()
    # A resumed run reseeds with the epochs reached, so its shuffles do not repeat epoch 1's.
    model, built = models.fresh(spec, seed, jit_compile=jit,
                                deterministic=options.deterministic)
    apply_pretrained(model, pretrained)  # on the model that trains (a reused one too)
    return model, verify_model(built, spec), jit


def _stopped(spec: Spec, options: RunOptions, results: RunResult, run_file: Path) -> None:
    """A run that did not complete: its own report under runs/, and a one-line error."""
    from ..report import write_report

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


__all__ = ["Prepared", "Resumption", "prepare", "run_spec"]
