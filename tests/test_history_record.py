"""Runs record into the results store as they finish; a broken store costs a warning line, never
the run or its files."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from support import GOOD, ROOT, run_on_tiny

from harness.history import open_store


def test_a_finished_run_is_in_the_store(harness, tmp_path, monkeypatch):
    db = tmp_path / "h.sqlite"
    monkeypatch.setenv("HARNESS_DB", str(db))
    result = run_on_tiny(harness, GOOD, tmp_path / "out")
    (run_file,) = (tmp_path / "out" / "tiny_rnn" / "runs").glob("*.json")
    doc = json.loads(run_file.read_text())
    with open_store(db, create=False) as store:
        (row,) = store.runs("tiny_rnn", "best_val_acc")
    assert row.run_id == doc["run_id"] and row.status == doc["status"]
    assert row.value == pytest.approx(max(doc["history"]["val_acc"]))
    assert "warning" not in result.err


@pytest.mark.parametrize("store", ["corrupt", "newer", "unreachable", "off"])
def test_a_broken_or_absent_store_never_costs_the_run(harness, tmp_path, monkeypatch, store):
    db = tmp_path / "h.sqlite"
    if store == "corrupt":
        db.write_bytes(b"\x00garbage" * 64)
        url = str(db)
    elif store == "newer":
        with open_store(db) as s:
            s.record(json.loads((ROOT / "tests" / "data" / "results" / "small.json")
                                .read_text()))
        import sqlite3

        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        url = str(db)
    elif store == "unreachable":
        url = "postgresql://u:secret@127.0.0.1:1/x"
    else:
        url = "off"
    monkeypatch.setenv("HARNESS_DB", url)
    result = run_on_tiny(harness, GOOD, tmp_path / "out")
    assert (tmp_path / "out" / "tiny_rnn" / "results.json").is_file()
    assert len(list((tmp_path / "out" / "tiny_rnn" / "runs").glob("*.json"))) == 1
    warnings = [line for line in result.err.splitlines() if line.startswith("warning:")]
    if store == "off":
        assert warnings == []
    else:
        (line,) = warnings
        assert line.startswith("warning: results history not updated: ")
        assert "`harness history import` loads it later" in line and "secret" not in line
    assert result.code == 0, result.err  # the store never changes the exit code


def test_recording_turned_off_imports_nothing_of_the_store(tmp_path):
    # HARNESS_DB=off: a run pays for neither the store module nor SQLAlchemy
    code = ("import sys\n"
            "from harness.history.record import record, recording\n"
            "assert not recording() and record({'schema_version': 2}) is False\n"
            "print(sorted(m for m in sys.modules\n"
            "             if m.split('.')[0] == 'sqlalchemy' or m == 'harness.history.store'))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "HARNESS_DB": "off"}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
