"""`harness history`: the committed runs per commit, their chart and change points, and the
one-line errors of a missing, corrupt or empty store."""

from __future__ import annotations

import json
import shutil

import pytest
from support import BASELINE, ROOT

from harness.cli import main
from harness.history.trend import build_series, confidence_interval


@pytest.fixture
def store_with_runs(tmp_path, monkeypatch):
    """An SQLite store holding the committed baseline runs of the LSTM and the SimpleRNN."""
    reports = tmp_path / "reports" / "baseline"
    for spec in ("imdb_lstm", "imdb_simple_rnn"):
        shutil.copytree(BASELINE / spec / "runs", reports / spec / "runs")
    db = tmp_path / "history.sqlite"
    monkeypatch.setenv("HARNESS_DB", str(db))
    monkeypatch.chdir(ROOT)  # spec names resolve to specs/<name>.yaml for their bands
    assert main(["history", "import", str(tmp_path / "reports")]) == 0
    return db


def test_import_then_history_per_commit_with_chart(store_with_runs, tmp_path, capsys):
    capsys.readouterr()
    out = tmp_path / "out"
    assert main(["history", "imdb_lstm", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# History of imdb_lstm: best_val_acc")
    assert "## ci schedule, 2 epochs" in text and "- baseline mean: 0.8405" in text
    assert "| commit " in text and "95% CI" in text
    assert (out / "imdb_lstm" / "history.md").read_text().rstrip("\n") == text.rstrip("\n")
    png = out / "imdb_lstm" / "best_val_acc-ci-2.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_history_json_lists_commits_and_change_points(store_with_runs, tmp_path, capsys):
    capsys.readouterr()
    assert main(["history", "imdb_simple_rnn", "--json", "--out", str(tmp_path)]) == 0
    doc = json.loads(capsys.readouterr().out)
    (series,) = doc["history"][0]["series"]
    assert series["schedule"] == "ci" and sum(c["runs"] for c in series["commits"]) == 48
    assert all(c["low"] <= c["mean"] <= c["high"] for c in series["commits"])
    assert isinstance(series["change_points"], list) and doc["missing"] == []


def test_a_spec_with_no_history_is_one_line(store_with_runs, tmp_path, capsys):
    capsys.readouterr()
    assert main(["history", "imdb_gru", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: imdb_gru: no runs with best_val_acc in the results history at "
                   f"{store_with_runs} (metrics stored: none)"]


def test_missing_corrupt_store_and_bad_since(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    missing = tmp_path / "none.sqlite"
    assert main(["history", "imdb_lstm", "--db", str(missing)]) == 1
    assert capsys.readouterr().err.strip() == (
        f"error: no results history at {missing}: run `harness history import reports/` first")
    assert not missing.exists()  # a query never creates a store
    corrupt = tmp_path / "corrupt.sqlite"
    corrupt.write_bytes(b"not a database, only bytes" * 40)
    assert main(["history", "imdb_lstm", "--db", str(corrupt)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "not an SQLite database" in err and "\n" not in err
    assert main(["history", "imdb_lstm", "--since", "no-such-ref", "--db", str(corrupt)]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: --since no-such-ref: neither a git commit, tag or branch of the repository here "
        "nor an ISO date (2026-11-30)")


def test_since_a_date_after_every_run_leaves_nothing(store_with_runs, tmp_path, capsys):
    capsys.readouterr()
    assert main(["history", "imdb_lstm", "--since", "2999-01-01", "--out", str(tmp_path)]) == 1
    assert "since 2999-01-01" in capsys.readouterr().err


def test_series_split_by_schedule_and_confidence_interval():
    assert confidence_interval([0.8]) == (0.8, 0.8)
    low, high = confidence_interval([0.8, 0.82, 0.84])
    assert low < 0.82 < high and abs((low + high) / 2 - 0.82) < 1e-12
    assert build_series("x", "best_val_acc", []) == []
