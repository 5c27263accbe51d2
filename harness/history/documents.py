"""Results documents as rows of the store: the columns of ``runs`` and the figures of ``metrics``.

Three kinds of document are stored:

- ``run``: a run file (``reports/<spec>/runs/<run id>.json``, or a ``results.json``), one row
  keyed by its ``run_id``. Its figures are those the reports and the gate read
  (:func:`harness.report.summary_figures`): ``best_KEY``/``final_KEY`` of every history key,
  ``test_KEY`` of every test metric, the band's metric in the band's direction,
  ``first_epoch_time_s``, ``epoch_time_s`` (the median epoch after the first, as the gate reads
  it) and ``throughput_samples_per_s``.
- ``bench``: a ``harness bench`` document (``"kind": "bench"``), one row per spec x device x
  mode it measured or skipped, keyed ``bench-<created>-<digest>/<spec>/<device>/<mode>``; the
  row's document is the bench's with only that spec's entries. Figures: ``epoch_time_s``
  (median timed epoch), ``first_epoch_time_s``, ``setup_time_s``, ``throughput_samples_per_s``,
  ``latency_ms_p50_batchN``/``latency_ms_p95_batchN``/``inference_samples_per_s_batchN``,
  ``host_peak_rss_bytes``, ``device_peak_bytes``, ``achieved_gflops``, ``flops_utilization``,
  ``overhead_ratio`` (harness vs plain script, per epoch) and, for ``xla``,
  ``speedup_vs_plain_default``.
- ``gate``: a gate verdict (``harness gate --json``: ``state`` and ``groups``), one row per
  spec judged; figures: each metric's mean over the runs judged (``best_val_acc``), the
  baseline's (``baseline_best_val_acc``), ``change_...`` and ``p_...``.

Nothing here touches a database or imports TensorFlow.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..result_types import (
    BenchRecord,
    BenchResult,
    BenchSpec,
    Environment,
    MetricVerdict,
    RunResult,
)

RUN, BENCH, GATE = "run", "bench", "gate"
KINDS = (RUN, BENCH, GATE)


class DocumentError(ValueError):
    """A document that cannot be stored (no spec name, not a results document)."""


@dataclass(frozen=True)
class RowData:
    """One row of ``runs`` (column -> value, without ``id`` and ``recorded_utc``) and its
    figures (metric name -> value; non-finite and missing figures are left out)."""

    values: dict[str, Any]
    metrics: dict[str, float] = field(default_factory=dict)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def digest(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def parse_utc(text: Any) -> _dt.datetime | None:
    """``2026-11-29T16:01:44Z`` (or any ISO 8601 time) as a naive UTC datetime; None when
    absent or unreadable. A time without an offset is taken as UTC."""
    if isinstance(text, _dt.datetime):
        value = text
    elif isinstance(text, str) and text:
        try:
            value = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return value


def kind_of(document: dict[str, Any]) -> str:
    """``bench`` for a bench document, ``gate`` for a gate verdict, else ``run``."""
    kind = document.get("kind")
    if kind in (BENCH, GATE):
        return kind
    if "groups" in document and "state" in document and "spec" not in document:
        return GATE
    return RUN


def rows_of(document: Any, source_path: str | None = None) -> list[RowData]:
    """The rows a document becomes (one for a run, one per record of a bench or group of a
    gate verdict).

    Raises:
        DocumentError: the document is not a results document, or has nothing to store.
    """
    if not isinstance(document, dict):
        raise DocumentError(f"not a results document (a JSON {type(document).__name__})")
    kind = kind_of(document)
    try:
        if kind == BENCH:
            return _bench_rows(document, source_path)
        if kind == GATE:
            return _gate_rows(document, source_path)
        return [_run_row(document, source_path)]
    except ValidationError as exc:
        from ..results import invalid_results

        raise DocumentError(str(invalid_results("document", exc)).removeprefix("document: "))\
            from None


# ---------------------------------------------------------------------------------------------
# Common columns


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _figures(pairs: dict[str, Any]) -> dict[str, float]:
    return {name: v for name, value in pairs.items() if (v := _number(value)) is not None}


def _stamp(created: _dt.datetime) -> str:
    return created.strftime("%Y%m%dT%H%M%SZ")


def _environment_columns(env: Environment) -> dict[str, Any]:
    from ..comparable import device_of

    cpu = env.cpu
    commit = env.git_commit
    dirty = getattr(env, "git_dirty", None)
    if isinstance(commit, str) and commit.endswith("-dirty"):
        commit, dirty = commit[: -len("-dirty")], True
    elif isinstance(commit, str) and dirty is None:
        dirty = False
    return {
        "git_commit": _text(commit),
        "git_branch": _text(env.git_branch),
        "git_dirty": dirty if isinstance(dirty, bool) else None,
        "machine": device_of(env),
        "cpu_model": _text(cpu.model),
        "cpu_cores": _int(cpu.cores),
        "gpus": ", ".join(str(g.given("name", "?")) for g in env.gpus) or None,
        "tensorflow": _text(env.tensorflow),
        "keras": _text(env.keras),
    }


def _common(created_utc: Any, finished_utc: Any, harness_version: Any, env: Environment,
            source_path: str | None) -> dict[str, Any]:
    created = (parse_utc(created_utc) or parse_utc(finished_utc)
               or _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None, microsecond=0))
    return {
        **_environment_columns(env),
        "created_utc": created,
        "harness_version": _text(harness_version or env.harness),
        "source_path": source_path,
    }


def _document_columns(document: dict[str, Any]) -> dict[str, Any]:
    return {"document": json.dumps(document, default=str), "document_sha256": digest(document)}


# ---------------------------------------------------------------------------------------------
# Run files


def _run_row(doc: dict[str, Any], source_path: str | None) -> RowData:
    from ..comparable import identity
    from ..figures import stored_band
    from ..report import summary_figures

    run = RunResult.model_validate(doc)
    name = run.spec.name
    if not isinstance(name, str) or not name:
        raise DocumentError("not a run document (no spec.name)")
    run_id = run.run_id
    if not isinstance(run_id, str) or not run_id:
        stem = Path(source_path).stem if source_path else ""
        run_id = stem if stem and stem != "results" else f"run-{digest(doc)[:16]}"
    schedule, execution = run.schedule, run.execution
    key = identity(run)["schedule"]
    process = run.process or {}
    seed = execution.given("seed", run.options.seed if run.options else None)

    try:
        figures = summary_figures(run, stored_band(run.band))
    except (TypeError, ValueError, AttributeError) as exc:
        raise DocumentError(f"cannot read the run's figures ({exc})") from None
    figures["epoch_time_s"] = figures.pop("median_epoch_time_s", None)
    figures.pop("best_epoch", None)  # an epoch number, not a figure of the run

    values = {
        **_common(run.created_utc, run.finished_utc, run.harness_version, run.environment,
                  source_path),
        "run_id": run_id,
        "kind": RUN,
        "spec_name": name,
        "spec_hash": _text(run.spec.hash),
        "schedule": _text(schedule.name),
        "epochs": _int(schedule.given("epochs", execution.epochs)),
        "batch_size": _int(schedule.given("batch_size", execution.batch_size)),
        "train_samples": _int(schedule.train_samples),
        "test_samples": _int(schedule.test_samples),
        "validation_split": _number(schedule.given("validation_split",
                                                   execution.validation_split)),
        "schedule_key": None if key is None else canonical_json(key),
        "data_checksum": _text(run.data.checksum),
        "host": _text(process.get("host")),
        "device": _text(execution.device),
        "mode": _text(execution.mode),
        "deterministic": execution.deterministic
        if isinstance(execution.deterministic, bool) else None,
        "status": _text(run.given("status", "complete")),
        "seed": _int(seed),
        "epochs_done": _int(run.given("epochs_done")),
        **_document_columns(doc),
    }
    return RowData(values, _figures(figures))


# ---------------------------------------------------------------------------------------------
# Bench documents


def _bench_rows(doc: dict[str, Any], source_path: str | None) -> list[RowData]:
    from ..comparable import device_of

    bench = BenchResult.model_validate(doc)
    # the typed records beside the records as written (each row's document keeps those)
    records = [(raw, typed) for raw, typed in zip(doc.get("benchmarks") or [], bench.benchmarks,
                                                  strict=True)]
    if not records:
        raise DocumentError("a bench document without benchmarks: nothing to record")
    env, settings = bench.environment, bench.settings
    common = _common(bench.created_utc, bench.finished_utc, bench.harness_version, env,
                     source_path)
    bench_id = (f"bench-{_stamp(common['created_utc'])}-"
                + digest([doc.get("created_utc"), _section(doc, "environment"),
                          _section(doc, "settings"), doc.get("machine")])[:6])
    specs = {typed.name: (raw, typed)
             for raw, typed in zip(doc.get("specs") or [], bench.specs, strict=True)}
    comparisons = list(zip(doc.get("comparisons") or [], bench.comparisons, strict=True))
    shared = {k: v for k, v in doc.items() if k not in ("specs", "benchmarks", "comparisons")}

    rows = []
    for raw, record in records:
        name, device, mode = str(record.spec), str(record.device), str(record.mode)
        raw_spec, spec = specs.get(name) or ({}, BenchSpec())
        compared = [(c_raw, c) for c_raw, c in comparisons
                    if c.spec == name and c.device == device]
        train = record.train
        batch_size = train.batch_size if train else None
        key = {"bench": True, "train_samples": settings.train_samples,
               "batch_size": batch_size, "full_epochs": settings.full_epochs,
               "timed_epochs": settings.timed_epochs}
        document = {**shared, "specs": [raw_spec] if raw_spec else [], "benchmarks": [raw],
                    "comparisons": [c_raw for c_raw, _ in compared]}
        train_samples = train.given("train_samples", settings.train_samples) if train \
            else settings.train_samples
        values = {
            **common,
            # a CPU row of a machine with GPUs ran on the CPU: fingerprint it as such
            "machine": device_of(env.model_copy(update={"gpus": []})) if device == "cpu"
            else device_of(env),
            "run_id": f"{bench_id}/{name}/{device}/{mode}",
            "kind": BENCH,
            "spec_name": name,
            "spec_hash": _text(record.spec_hash or spec.hash),
            "schedule": BENCH,
            "epochs": _int(settings.timed_epochs),
            "batch_size": _int(batch_size),
            "train_samples": _int(train_samples),
            "test_samples": None,
            "validation_split": None,
            "schedule_key": canonical_json(key),
            "data_checksum": _text(spec.data.checksum if spec.data else None),
            "host": None,
            "device": device,
            "mode": mode,
            "deterministic": None,
            "status": _text(record.status),
            "seed": None,
            "epochs_done": None,
            **_document_columns(document),
        }
        rows.append(RowData(values, _figures(
            _bench_figures(record, [c for _, c in compared], mode))))
    return rows


def _section(doc: dict[str, Any], name: str) -> dict[str, Any]:
    value = doc.get(name)
    return value if isinstance(value, dict) else {}


def _bench_figures(record: BenchRecord, compared: list[Any], mode: str) -> dict[str, Any]:
    train, memory, flops = record.train, record.memory, record.flops
    figures: dict[str, Any] = {
        "epoch_time_s": train.median_epoch_time_s if train else None,
        "first_epoch_time_s": train.first_epoch_time_s if train else None,
        "setup_time_s": train.setup_time_s if train else None,
        "throughput_samples_per_s": train.throughput_samples_per_s if train else None,
        "host_peak_rss_bytes": memory.host_peak_rss_bytes if memory else None,
        "device_peak_bytes": memory.device_peak_bytes if memory else None,
        "achieved_gflops": flops.achieved_gflops if flops else None,
        "flops_utilization": flops.utilization if flops else None,
    }
    for latency in record.inference:
        batch = _int(latency.batch_size)
        if batch is not None:
            figures[f"latency_ms_p50_batch{batch}"] = latency.latency_ms_p50
            figures[f"latency_ms_p95_batch{batch}"] = latency.latency_ms_p95
            figures[f"inference_samples_per_s_batch{batch}"] = latency.throughput_samples_per_s
    for comparison in compared:
        overhead = comparison.overhead.get(mode)
        if overhead is not None:
            figures["overhead_ratio"] = overhead.ratio_epochs
        speedup = comparison.speedup_xla_vs_plain_default
        if mode == "xla" and speedup is not None:
            figures["speedup_vs_plain_default"] = speedup.ratio
    return figures


# ---------------------------------------------------------------------------------------------
# Gate verdicts


def _gate_rows(doc: dict[str, Any], source_path: str | None) -> list[RowData]:
    groups = [g for g in doc.get("groups") or [] if isinstance(g, dict) and g.get("spec")]
    if not groups:
        raise DocumentError("a gate verdict without groups: nothing to record")
    env = doc.get("environment")
    common = _common(doc.get("created_utc"), doc.get("finished_utc"), doc.get("harness_version"),
                     Environment.of(env if isinstance(env, dict) else None), source_path)
    gate_id = f"gate-{_stamp(common['created_utc'])}-{digest(doc)[:6]}"
    shared = {k: v for k, v in doc.items() if k != "groups"}
    rows = []
    for group in groups:
        figures: dict[str, Any] = {}
        for metric, raw in (group.get("metrics") or {}).items():
            if not isinstance(raw, dict):
                continue
            c = MetricVerdict.model_validate(raw)
            figures[metric] = c.current.mean if c.current else None
            figures[f"baseline_{metric}"] = c.baseline.mean if c.baseline else None
            figures[f"change_{metric}"] = c.change
            figures[f"p_{metric}"] = c.p
        values = {
            **common,
            "run_id": f"{gate_id}/{group['spec']}",
            "kind": GATE,
            "spec_name": str(group["spec"]),
            "status": _text(group.get("state")),
            **{k: None for k in ("spec_hash", "schedule", "epochs", "batch_size",
                                 "train_samples", "test_samples", "validation_split",
                                 "schedule_key", "data_checksum", "host", "device", "mode",
                                 "deterministic", "seed", "epochs_done")},
            **_document_columns({**shared, "groups": [group]}),
        }
        rows.append(RowData(values, _figures(figures)))
    return rows


__all__ = ["BENCH", "GATE", "KINDS", "RUN", "DocumentError", "RowData", "canonical_json",
           "digest", "kind_of", "parse_utc", "rows_of"]
