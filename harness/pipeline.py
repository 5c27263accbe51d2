"""``harness run``: validate -> load data -> build -> verify -> train -> evaluate -> report.

Results of every run are kept in ``<out>/<spec name>/runs/<run id>.json``; the latest complete
run is also ``<out>/<spec name>/results.json`` with its ``report.md`` and PNGs beside it. Every
file is written atomically; after each finished epoch the run file is rewritten with status
``running``, so an interrupted run keeps the epochs that finished.
"""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .errors import DataError, TrainingError, UsageError
from .results import SCHEMA_VERSION, environment, harness_version, utc_now, write_json_atomic
from .spec import Band, Spec

if TYPE_CHECKING:  # pragma: no cover
    from .build import CompiledModels

DEFAULT_MODE = "xla"


@dataclass(frozen=True)
class RunOptions:
    """Options of ``harness run`` that override or slice the spec.

    Attributes:
        data: the Stanford archive or folder (None: $HARNESS_IMDB_DATA, then Keras's download).
        out: the reports folder; each spec writes into ``out/<spec name>/``.
        mode: execution mode, ``xla`` (jit_compile=True) or ``default`` (the Keras default).
        epochs: overrides the spec's epochs.
        train_samples / test_samples: use only the first N training / test reviews.
        seed: overrides the spec's seed.
        batch_size: overrides the spec's batch_size.
        deterministic: seed everything and turn on TensorFlow op determinism.
        schedule: ``spec`` (the spec's own training), ``ci`` (its ci section, see
            :meth:`for_ci`) or ``custom`` (any override); recorded with the results, it decides
            which band applies and what a result can be compared with.
    """

    data: str | None = None
    out: str = "reports"
    mode: str = DEFAULT_MODE
    epochs: int | None = None
    train_samples: int | None = None
    test_samples: int | None = None
    seed: int | None = None
    batch_size: int | None = None
    deterministic: bool = False
    schedule: str = "spec"

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


def new_run_id() -> str:
    return utc_now().replace(":", "").replace("-", "") + "-" + secrets.token_hex(3)


def check_writable(folder: Path) -> None:
    """Fail before training when the output folder cannot be written.

    Raises:
        UsageError: names the folder and the reason.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"{folder}: output folder is not writable ({exc.strerror or exc})") \
            from None


def check_token_range(spec: Spec, data) -> None:
    """Every token index must be < the Embedding's input_dim.

    TensorFlow on a GPU silently returns zeros for an out-of-range index; here it is an error.

    Raises:
        DataError: names the largest index, the layer and its input_dim.
    """
    first = spec.model.layers[0]
    if first.type != "Embedding" or data.info.get("representation") != "sequences":
        return
    top = int(max(data.x_train.max(initial=0), data.x_test.max(initial=0)))
    if top >= first.input_dim:
        raise DataError(
            f"{spec.path}: token index {top} >= model.layers[0] (Embedding) input_dim "
            f"{first.input_dim}; set data.num_words <= input_dim"
        )


def run_spec(spec: Spec, options: RunOptions, stream: TextIO | None = None,
             models: CompiledModels | None = None) -> dict[str, Any]:
    """Run one spec end to end and write its results and report.

    Args:
        models: compiled models to reuse across seeds (see :class:`CompiledModels`).

    Returns:
        The results document (also written to disk).

    Raises:
        HarnessError: a data, architecture or training problem (one-line message); a band miss
            is not raised here, it is in ``results["band"]["verdict"]``.
    """
    from .build import CompiledModels
    from .data import load_imdb
    from .report import write_report
    from .train import EXECUTION_MODES, evaluate_model, train_model
    from .verify import verify_model

    stream = stream or sys.stdout
    if options.mode not in EXECUTION_MODES:
        raise UsageError(f"--mode: must be one of {', '.join(EXECUTION_MODES)}, "
                         f"got {options.mode!r}")
    if not spec.trains:
        raise UsageError(f"{spec.path}: has no train section; use 'harness verify' for it")
    folder = Path(options.out) / spec.name
    check_writable(folder)

    print(f"== {spec.name} ({spec.path})", file=stream, flush=True)
    data = load_imdb(spec.data, options.data)
    if options.train_samples or options.test_samples:
        data = data.head(options.train_samples, options.test_samples)
    check_token_range(spec, data)
    print(f"data: {data.source}: x_train {data.x_train.shape}, x_test {data.x_test.shape}",
          file=stream, flush=True)

    # Hashes of the spec as written, before a batch_size override.
    spec_hash, section_hashes = spec.content_hash(), spec.section_hashes()
    if options.batch_size is not None:
        spec = spec.model_copy(update={
            "train": spec.train.model_copy(update={"batch_size": options.batch_size})})
    train = spec.train
    seed = train.seed if options.seed is None else options.seed
    jit = EXECUTION_MODES[options.mode]
    models = models if models is not None else CompiledModels()
    model, built = models.fresh(spec, seed, jit_compile=jit,
                                deterministic=options.deterministic)
    verification = verify_model(built, spec)
    print(f"verify: {len(verification.rows)} layers match the spec, "
          f"{verification.totals['total_params']:,} params", file=stream, flush=True)

    run_id = new_run_id()
    results: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "harness_version": harness_version(),
        "created_utc": utc_now(),
        "run_id": run_id,
        "spec": {"name": spec.name, "path": spec.path, "hash": spec_hash,
                 "section_hashes": section_hashes,
                 "description": spec.description, "source": spec.source},
        "status": "running",
        "stop_reason": None,
        "schedule": options.schedule_of(spec),
        "execution": {"mode": options.mode, "jit_compile": jit, "seed": seed,
                      "deterministic": options.deterministic,
                      "epochs": options.epochs or train.epochs, "batch_size": train.batch_size,
                      "validation_split": train.validation_split, "optimizer": train.optimizer,
                      "loss": train.loss, "metrics": list(train.metrics)},
        "data": {"source": data.source, "checksum": data.checksum,
                 "x_train_shape": list(data.x_train.shape),
                 "x_test_shape": list(data.x_test.shape),
                 "test_samples": int(len(data.x_test)), **data.info},
        "architecture": verification.as_dict(),
        "environment": environment(),
        "reference": None if spec.reference is None else spec.reference.model_dump(mode="json"),
    }
    run_file = folder / "runs" / f"{run_id}.json"

    def save_progress(outcome) -> None:
        results.update(history=outcome.history, epoch_time_s=outcome.epoch_time_s,
                       epochs_done=outcome.epochs_done)
        results["data"].update(train_samples=outcome.train_samples,
                               val_samples=outcome.val_samples)
        write_json_atomic(run_file, results)

    outcome = train_model(model, spec, data, epochs=options.epochs, on_epoch=save_progress)
    save_progress(outcome)
    results["status"] = outcome.status
    results["stop_reason"] = outcome.stop_reason
    if outcome.status == "complete":
        results["test"] = evaluate_model(model, spec, data)
        print(f"test: loss {results['test']['loss']:.4f}  acc {results['test']['acc']:.4f}  "
              f"({results['test']['samples']} reviews)", file=stream, flush=True)
    results["band"] = band_verdict(band_for(spec, results["schedule"]), results)
    results["finished_utc"] = utc_now()
    write_json_atomic(run_file, results)
    if outcome.status != "complete":
        # Keep the published results.json/report of the last complete run untouched.
        write_report(results, folder / "runs" / run_id)
        raise TrainingError(f"{spec.name}: {outcome.stop_reason}; partial results in {run_file}",
                            results=results)
    write_json_atomic(folder / "results.json", results)
    report = write_report(results, folder)
    print(f"report: {report}", file=stream, flush=True)
    return results


def run_seeds(spec: Spec, options: RunOptions, seeds: list[int], stream: TextIO | None = None,
              models: CompiledModels | None = None) -> list[dict[str, Any]]:
    """Run one spec once per seed, one run file each, compiling the model once.

    A seed whose loss turns NaN is recorded (status ``nan_loss``) and the next seed runs; an
    interrupted run stops them all.

    Returns:
        The results document of each seed, in order.

    Raises:
        HarnessError: as :func:`run_spec`, except for a NaN loss.
    """
    from .build import CompiledModels

    stream = stream or sys.stdout
    models = models if models is not None else CompiledModels()
    runs = []
    for seed in seeds:
        try:
            runs.append(run_spec(spec, replace(options, seed=seed), stream, models))
        except TrainingError as exc:
            if exc.results is None or exc.results.get("status") != "nan_loss":
                raise
            print(f"seed {seed}: {exc}", file=stream, flush=True)
            runs.append(exc.results)
    return runs


def band_for(spec: Spec, schedule: dict[str, Any]) -> Band | None:
    """The band that applies to a result of this schedule: ``ci.band`` for the CI schedule as the
    spec declares it now (none for a CI schedule the spec no longer declares), else the spec's
    ``band``, which a run that shortens the spec's training is held to as well."""
    if schedule.get("name") == "ci":
        if spec.ci is None or schedule != RunOptions.for_ci(spec).schedule_of(spec):
            return None
        return spec.ci.band
    return spec.band


def band_verdict(band: Band | None, results: dict[str, Any]) -> dict[str, Any] | None:
    """Check a band against a run: ``verdict`` is pass, fail or no result."""
    if band is None:
        return None
    from .report import summary_figures

    value = summary_figures(results).get(band.metric)
    fields = band.model_dump()
    if value is None:
        return {**fields, "value": None, "verdict": "no result"}
    verdict = "pass" if band.low <= value <= band.high else "fail"
    return {**fields, "value": value, "verdict": verdict}



__all__ = ["RunOptions", "band_for", "band_verdict", "check_writable", "run_seeds",
           "run_spec"]
