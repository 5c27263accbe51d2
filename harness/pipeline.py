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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .errors import TrainingError, UsageError
from .results import SCHEMA_VERSION, environment, harness_version, utc_now, write_json_atomic
from .spec import Spec

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
    """

    data: str | None = None
    out: str = "reports"
    mode: str = DEFAULT_MODE
    epochs: int | None = None
    train_samples: int | None = None
    test_samples: int | None = None
    seed: int | None = None


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


def run_spec(spec: Spec, options: RunOptions, stream: TextIO | None = None) -> dict[str, Any]:
    """Run one spec end to end and write its results and report.

    Returns:
        The results document (also written to disk).

    Raises:
        HarnessError: a data, architecture or training problem (one-line message); a band miss
            is not raised here, it is in ``results["band"]["verdict"]``.
    """
    from .build import build_model, compile_model
    from .contract import check_data
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
    contract = check_data(spec, data)
    print(f"data: {data.source}: x_train {data.x_train.shape}, x_test {data.x_test.shape}",
          file=stream, flush=True)

    import keras

    train = spec.train
    seed = train.seed if options.seed is None else options.seed
    keras.utils.set_random_seed(seed)
    model = build_model(spec)
    verification = verify_model(model, spec)
    print(f"verify: {len(verification.rows)} layers match the spec, "
          f"{verification.totals['total_params']:,} params", file=stream, flush=True)
    jit = EXECUTION_MODES[options.mode]
    compile_model(model, spec, jit_compile=jit)

    run_id = new_run_id()
    results: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "harness_version": harness_version(),
        "created_utc": utc_now(),
        "run_id": run_id,
        "spec": {"name": spec.name, "path": spec.path, "hash": spec.content_hash(),
                 "description": spec.description, "source": spec.source},
        "status": "running",
        "stop_reason": None,
        "execution": {"mode": options.mode, "jit_compile": jit, "seed": seed,
                      "epochs": options.epochs or train.epochs, "batch_size": train.batch_size,
                      "validation_split": train.validation_split, "optimizer": train.optimizer,
                      "loss": train.loss, "metrics": list(train.metrics)},
        "data": {"source": data.source, "checksum": data.checksum,
                 "x_train_shape": list(data.x_train.shape),
                 "x_test_shape": list(data.x_test.shape),
                 "test_samples": int(len(data.x_test)), **data.info, "contract": contract},
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
    results["band"] = band_verdict(spec, results)
    results["finished_utc"] = utc_now()
    write_json_atomic(run_file, results)
    if outcome.status != "complete":
        # Keep the published results.json/report of the last complete run untouched.
        write_report(results, folder / "runs" / run_id)
        raise TrainingError(f"{spec.name}: {outcome.stop_reason}; partial results in {run_file}")
    write_json_atomic(folder / "results.json", results)
    report = write_report(results, folder)
    print(f"report: {report}", file=stream, flush=True)
    return results


def band_verdict(spec: Spec, results: dict[str, Any]) -> dict[str, Any] | None:
    """Check the spec's accuracy band against a run: ``verdict`` is pass, fail or no result."""
    if spec.band is None:
        return None
    from .report import summary_figures

    value = summary_figures(results).get(spec.band.metric)
    band = spec.band.model_dump()
    if value is None:
        return {**band, "value": None, "verdict": "no result"}
    verdict = "pass" if spec.band.low <= value <= spec.band.high else "fail"
    return {**band, "value": value, "verdict": verdict}



__all__ = ["RunOptions", "band_verdict", "check_writable", "run_spec"]
