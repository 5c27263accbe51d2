"""harness.results: atomic writes, schema versions, broken files named with their line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import ResultsError
from harness.results import SCHEMA_VERSION, load_results, write_json_atomic

RESULTS = Path(__file__).resolve().parent / "data" / "results"


def test_round_trip(tmp_path):
    doc = json.loads((RESULTS / "small.json").read_text())
    path = write_json_atomic(tmp_path / "a" / "r.json", doc)
    assert load_results(path) == doc
    assert [p.name for p in path.parent.iterdir()] == ["r.json"]  # no temp file left


def test_failed_write_keeps_the_old_file(tmp_path):
    path = write_json_atomic(tmp_path / "r.json", {"schema_version": 1, "x": 1})
    with pytest.raises(ValueError):  # NaN is not JSON: refused before anything is replaced
        write_json_atomic(path, {"schema_version": 1, "x": float("nan")})
    assert json.loads(path.read_text()) == {"schema_version": 1, "x": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_newer_schema_is_refused(tmp_path):
    path = write_json_atomic(tmp_path / "r.json", {"schema_version": SCHEMA_VERSION + 1})
    with pytest.raises(ResultsError, match=f"written with results schema {SCHEMA_VERSION + 1}"):
        load_results(path)


def test_broken_json_names_the_line(tmp_path):
    path = tmp_path / "r.json"
    path.write_text('{\n  "schema_version": 1,\n  "x": [1, 2\n}\n')
    with pytest.raises(ResultsError, match=r"r\.json: line 4, column 1: broken JSON"):
        load_results(path)


def test_not_a_results_file(tmp_path):
    path = tmp_path / "r.json"
    path.write_text("[1, 2]")
    with pytest.raises(ResultsError, match="not a harness results file"):
        load_results(path)


def test_unwritable_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ResultsError, match=r"file/r\.json: cannot write"):
        write_json_atomic(blocker / "r.json", {"schema_version": 1})
