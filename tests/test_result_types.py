"""The typed results documents: every committed file loads and writes back the same JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import RESULTS, ROOT

from harness.errors import ResultsError
from harness.result_types import BenchResult, RunResult, VerdictDocument
from harness.results import SCHEMA_VERSION, load_results, load_run


def _kind(path: Path) -> str | None:
    return json.loads(path.read_text()).get("kind")


RUN_FILES = [p for p in sorted(ROOT.glob("reports/**/runs/*.json"))
             + sorted(ROOT.glob("reports/*/results.json")) if _kind(p) != "bench"]
BENCH_FILES = [p for p in sorted(ROOT.glob("reports/bench/**/*.json")) if _kind(p) == "bench"]


def test_there_are_committed_run_files():
    assert len(RUN_FILES) > 20


@pytest.mark.parametrize("path", RUN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_committed_run_file_loads_and_round_trips_to_the_same_json(path):
    raw = load_results(path)
    run = load_run(path)
    assert isinstance(run, RunResult) and run.spec.name
    assert json.dumps(run.to_json_dict(), indent=2) == json.dumps(raw, indent=2)


@pytest.mark.parametrize("path", BENCH_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_committed_bench_file_round_trips(path):
    raw = load_results(path)
    assert json.dumps(BenchResult.model_validate(raw).to_json_dict()) == json.dumps(raw)


def test_a_bench_file_reads_typed_and_writes_back_the_same_bytes(tmp_path):
    from harness.bench.report import load_bench
    from harness.results import write_json_atomic

    for path in BENCH_FILES:
        bench = load_bench(path)
        assert bench.kind == "bench" and bench.benchmarks and bench.settings.modes
        assert bench.machine.tf_gflops("cpu") is not None
        written = write_json_atomic(tmp_path / "results.json", bench.to_json_dict())
        assert written.read_bytes() == path.read_bytes()


def test_a_wrong_bench_field_is_one_line_naming_the_file_and_the_field(tmp_path):
    from harness.bench.report import load_bench

    doc = load_results(BENCH_FILES[0])
    doc["settings"]["rounds"] = "four"
    path = tmp_path / "b.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ResultsError) as exc:
        load_bench(path)
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: not a valid results file: settings.rounds: input "
                              "should be a valid integer")


def test_a_run_file_is_not_a_bench():
    from harness.bench.report import load_bench

    with pytest.raises(ResultsError, match="a run's results file, not a bench's"):
        load_bench(RUN_FILES[0])


def test_an_older_schema_upgrades_then_reads_typed():
    run = load_run(RESULTS / "schema0.json")
    assert run.schema_version == SCHEMA_VERSION
    assert "acc" in run.history and "accuracy" not in run.history
    assert run.epoch_time_s


def test_a_wrong_type_is_one_line_naming_the_file_and_the_field():
    with pytest.raises(ResultsError) as exc:
        load_run(RESULTS / "wrong_type.json")
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(f"{RESULTS / 'wrong_type.json'}: not a valid results file: "
                              "history.val_acc[1]:")


def test_a_wrong_type_only_the_typed_view_reads_is_one_line_too(tmp_path):
    doc = load_results(RESULTS / "small.json")
    doc["execution"]["seed"] = "zero"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ResultsError, match=r"r\.json: not a valid results file: "
                                           r"execution\.seed: input should be a valid integer"):
        load_run(path)


def test_a_bench_file_is_not_a_run(tmp_path):
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION, "kind": "bench",
                                "settings": {}, "devices": [], "specs": [],
                                "benchmarks": []}))
    with pytest.raises(ResultsError, match="a bench results file, not a run's"):
        load_run(path)


def test_fields_set_later_come_after_those_read_and_unset_defaults_stay_out():
    run = RunResult.model_validate({"run_id": "x", "status": "running", "history": {}})
    run.status = "complete"
    run.finished_utc = "2026-01-01T00:00:00Z"
    assert list(run.to_json_dict()) == ["run_id", "status", "history", "finished_utc"]


def test_extra_fields_survive():
    run = RunResult.model_validate({"run_id": "x", "future": {"a": 1},
                                    "data": {"checksum": "ab", "novel": [1, 2]}})
    assert run.to_json_dict() == {"run_id": "x", "future": {"a": 1},
                                  "data": {"checksum": "ab", "novel": [1, 2]}}


def test_a_verdict_document_dumps_in_its_declared_order():
    doc = VerdictDocument(state="PASS", exit_code=0, headline="# Accuracy gate: PASS")
    assert list(doc.to_json_dict()) == ["state", "exit_code", "headline"]
