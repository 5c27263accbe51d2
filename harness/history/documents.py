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
    if kind == BENCH:
        return _bench_rows(document, source_path)
    if kind == GATE:
        return _gate_rows(document, source_path)
    return [_run_row(document, source_path)]


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


def _environment_columns(env: dict[str, Any]) -> dict[str, Any]:
    from ..comparable import device_of

    cpu = env.get("cpu") if isinstance(env.get("cpu"), dict) else {}
    gpus = [g for g in env.get("gpus") or [] if isinstance(g, dict)]
    commit = env.get("git_commit")
    dirty = env.get("git_dirty")
    if isinstance(commit, str) and commit.endswith("-dirty"):
        commit, dirty = commit[: -len("-dirty")], True
    elif isinstance(commit, str) and dirty is None:
        dirty = False
    return {
        "git_commit": _text(commit),
        "git_branch": _text(env.get("git_branch")),
        "git_dirty": dirty if isinstance(dirty, bool) else None,
        "machine": device_of(env),
        "cpu_model": _text(cpu.get("model")),
        "cpu_cores": _int(cpu.get("cores")),
        "gpus": ", ".join(str(g.get("name", "?")) for g in gpus) or None,
        "tensorflow": _text(env.get("tensorflow")),
        "keras": _text(env.get("keras")),
    }


def _common(document: dict[str, Any], source_path: str | None) -> dict[str, Any]:
    created = (parse_utc(document.get("created_utc")) or parse_utc(document.get("finished_utc"))
               or _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None, microsecond=0))
    env = document.get("environment") if isinstance(document.get("environment"), dict) else {}
    return {
        **_environment_columns(env),
        "created_utc": created,
        "harness_version": _text(document.get("harness_version") or env.get("harness")),
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

    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise DocumentError("not a run document (no spec.name)")
    run_id = doc.get("run_id")
    if not isinstance(run_id, str) or not run_id:
        stem = Path(source_path).stem if source_path else ""
        run_id = stem if stem and stem != "results" else f"run-{digest(doc)[:16]}"
    schedule = doc.get("schedule") if isinstance(doc.get("schedule"), dict) else {}
    execution = doc.get("execution") if isinstance(doc.get("execution"), dict) else {}
    options = doc.get("options") if isinstance(doc.get("options"), dict) else {}
    data = doc.get("data") if isinstance(doc.get("data"), dict) else {}
    key = identity(doc)["schedule"]
    process = doc.get("process") if isinstance(doc.get("process"), dict) else {}
    seed = execution.get("seed", options.get("seed"))

    try:
        figures = summary_figures(doc, stored_band(doc.get("band")))
    except (TypeError, ValueError, AttributeError) as exc:
        raise DocumentError(f"cannot read the run's figures ({exc})") from None
    figures["epoch_time_s"] = figures.pop("median_epoch_time_s", None)
    figures.pop("best_epoch", None)  # an epoch number, not a figure of the run

    values = {
        **_common(doc, source_path),
        "run_id": run_id,
        "kind": RUN,
        "spec_name": name,
        "spec_hash": _text(spec.get("hash")),
        "schedule": _text(schedule.get("name")),
        "epochs": _int(schedule.get("epochs", execution.get("epochs"))),
        "batch_size": _int(schedule.get("batch_size", execution.get("batch_size"))),
        "train_samples": _int(schedule.get("train_samples")),
        "test_samples": _int(schedule.get("test_samples")),
        "validation_split": _number(schedule.get("validation_split",
                                                 execution.get("validation_split"))),
        "schedule_key": None if key is None else canonical_json(key),
        "data_checksum": _text(data.get("checksum")),
        "host": _text(process.get("host")),
        "device": _text(execution.get("device")),
        "mode": _text(execution.get("mode")),
        "deterministic": execution.get("deterministic")
        if isinstance(execution.get("deterministic"), bool) else None,
        "status": _text(doc.get("status", "complete")),
        "seed": _int(seed),
        "epochs_done": _int(doc.get("epochs_done")),
        **_document_columns(doc),
    }
    return RowData(values, _figures(figures))


# ---------------------------------------------------------------------------------------------
# Bench documents


def _bench_rows(doc: dict[str, Any], source_path: str | None) -> list[RowData]:
    from ..comparable import device_of

    records = [r for r in doc.get("benchmarks") or [] if isinstance(r, dict)]
    if not records:
        raise DocumentError("a bench document without benchmarks: nothing to record")
    common = _common(doc, source_path)
    env = doc.get("environment") if isinstance(doc.get("environment"), dict) else {}
    settings = doc.get("settings") if isinstance(doc.get("settings"), dict) else {}
    bench_id = (f"bench-{_stamp(common['created_utc'])}-"
                + digest([doc.get("created_utc"), env, settings, doc.get("machine")])[:6])
    specs = {s.get("name"): s for s in doc.get("specs") or [] if isinstance(s, dict)}
    comparisons = [c for c in doc.get("comparisons") or [] if isinstance(c, dict)]
    shared = {k: v for k, v in doc.items() if k not in ("specs", "benchmarks", "comparisons")}

    rows = []
    for record in records:
        name, device, mode = (str(record.get(k)) for k in ("spec", "device", "mode"))
        spec = specs.get(name) or {}
        compared = [c for c in comparisons
                    if c.get("spec") == name and c.get("device") == device]
        train = record.get("train") if isinstance(record.get("train"), dict) else {}
        key = {"bench": True, "train_samples": settings.get("train_samples"),
               "batch_size": train.get("batch_size"), "full_epochs": settings.get("full_epochs"),
               "timed_epochs": settings.get("timed_epochs")}
        document = {**shared, "specs": [spec] if spec else [], "benchmarks": [record],
                    "comparisons": compared}
        values = {
            **common,
            # a CPU row of a machine with GPUs ran on the CPU: fingerprint it as such
            "machine": device_of({**env, "gpus": []}) if device == "cpu" else device_of(env),
            "run_id": f"{bench_id}/{name}/{device}/{mode}",
            "kind": BENCH,
            "spec_name": name,
            "spec_hash": _text(record.get("spec_hash") or spec.get("hash")),
            "schedule": BENCH,
            "epochs": _int(settings.get("timed_epochs")),
            "batch_size": _int(train.get("batch_size")),
            "train_samples": _int(train.get("train_samples", settings.get("train_samples"))),
            "test_samples": None,
            "validation_split": None,
            "schedule_key": canonical_json(key),
            "data_checksum": _text(((spec.get("data") or {}) if isinstance(spec, dict)
                                    else {}).get("checksum")),
            "host": None,
            "device": device,
            "mode": mode,
            "deterministic": None,
            "status": _text(record.get("status")),
            "seed": None,
            "epochs_done": None,
            **_document_columns(document),
        }
        rows.append(RowData(values, _figures(_bench_figures(record, compared, mode))))
    return rows


def _bench_figures(record: dict[str, Any], compared: list[dict[str, Any]],
                   mode: str) -> dict[str, Any]:
    train = record.get("train") if isinstance(record.get("train"), dict) else {}
    memory = record.get("memory") if isinstance(record.get("memory"), dict) else {}
    flops = record.get("flops") if isinstance(record.get("flops"), dict) else {}
    figures: dict[str, Any] = {
        "epoch_time_s": train.get("median_epoch_time_s"),
        "first_epoch_time_s": train.get("first_epoch_time_s"),
        "setup_time_s": train.get("setup_time_s"),
        "throughput_samples_per_s": train.get("throughput_samples_per_s"),
        "host_peak_rss_bytes": memory.get("host_peak_rss_bytes"),
        "device_peak_bytes": memory.get("device_peak_bytes"),
        "achieved_gflops": flops.get("achieved_gflops"),
        "flops_utilization": flops.get("utilization"),
    }
    for latency in record.get("inference") or []:
        if isinstance(latency, dict) and _int(latency.get("batch_size")) is not None:
            batch = latency["batch_size"]
            figures[f"latency_ms_p50_batch{batch}"] = latency.get("latency_ms_p50")
            figures[f"latency_ms_p95_batch{batch}"] = latency.get("latency_ms_p95")
            figures[f"inference_samples_per_s_batch{batch}"] = latency.get(
                "throughput_samples_per_s")
    for comparison in compared:
        overhead = (comparison.get("overhead") or {}).get(mode) or {}
        if isinstance(overhead, dict):
            figures["overhead_ratio"] = overhead.get("ratio_epochs")
        speedup = comparison.get("speedup_xla_vs_plain_default") or {}
        if mode == "xla" and isinstance(speedup, dict):
            figures["speedup_vs_plain_default"] = speedup.get("ratio")
    return figures


# ---------------------------------------------------------------------------------------------
# Gate verdicts


def _gate_rows(doc: dict[str, Any], source_path: str | None) -> list[RowData]:
    groups = [g for g in doc.get("groups") or [] if isinstance(g, dict) and g.get("spec")]
    if not groups:
        raise DocumentError("a gate verdict without groups: nothing to record")
    common = _common(doc, source_path)
    gate_id = f"gate-{_stamp(common['created_utc'])}-{digest(doc)[:6]}"
    shared = {k: v for k, v in doc.items() if k != "groups"}
    rows = []
    for group in groups:
        figures: dict[str, Any] = {}
        for metric, c in (group.get("metrics") or {}).items():
            if not isinstance(c, dict):
                continue
            figures[metric] = (c.get("current") or {}).get("mean")
            figures[f"baseline_{metric}"] = (c.get("baseline") or {}).get("mean")
            figures[f"change_{metric}"] = c.get("change")
            figures[f"p_{metric}"] = c.get("p")
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
