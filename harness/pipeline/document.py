"""A run's results document (:class:`harness.result_types.RunResult`): built before training,
written after every epoch (validated again each time), and read back to resume a stopped run."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..result_types import RunLike, RunResult, as_run
from ..results import (
    SCHEMA_VERSION,
    environment,
    harness_version,
    invalid_results,
    recorded_data,
    recorded_path,
    utc_now,
    write_json_atomic,
)
from ..runs import this_process
from ..spec import Spec
from .options import RunOptions, train_section

if TYPE_CHECKING:  # pragma: no cover
    from ..data import Dataset
    from ..train import TrainOutcome
    from ..verify import Verification


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


def finished_epochs(previous: RunLike) -> TrainOutcome:
    """The epochs of a stopped run up to its checkpoint, as a training outcome to go on from
    (a raw document is read as a :class:`RunResult`)."""
    from ..train import TrainOutcome

    previous = as_run(previous)
    checkpoint = previous.checkpoint
    done = int(checkpoint.epoch or 0) if checkpoint is not None else 0
    return TrainOutcome(
        history={k: list(v or [])[:done] for k, v in previous.history.items()},
        epoch_time_s=list(previous.epoch_time_s)[:done],
    )


def new_results(spec: Spec, options: RunOptions, run_id: str, *, mode: str,
                jit: bool | str, seed: int, epochs: int, device: str, data: Dataset,
                contract: list[dict[str, Any]], verification: Verification,
                hashes: tuple[str, dict[str, str]]) -> RunResult:
    """The results document of a new run, status ``running``, before its first epoch.

    Args:
        jit: the ``jit_compile`` argument of the execution mode (``True``, ``"auto"``).
        device: what the run trains on (``cpu`` or the GPU's name).
        contract: the data contract's checks (:func:`harness.contract.check_data`).
        hashes: the spec's content hash and section hashes as written (before a batch_size
            override).
    """
    train = train_section(spec)
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


__all__ = ["finished_epochs", "new_results", "new_run_id", "write_run"]
