"""The drift guard (`harness gate --reference REF`), the gate's CI step summary, and the gate's
verdict recorded into the results history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import GATE, GATE_SPEC

from harness.cli import main
from harness.history import open_store
from harness.results import load_results

REF = "ab12cd34" * 5  # the commit the reference runs were recorded at (not in this repository)


@pytest.fixture
def reference_store(tmp_path):
    """A store holding the gate fixture's baseline runs as if recorded at commit REF."""
    db = tmp_path / "history.sqlite"
    with open_store(db) as store:
        for path in sorted((GATE / "baseline" / "gate_rnn" / "runs").glob("*.json")):
            doc = load_results(path)
            doc["environment"]["git_commit"] = REF + "-dirty"
            doc["run_id"] = f"ref-{path.stem}"
            assert store.record(doc, path)
    return db


def _gate(results: str, verdict: Path, *args: str) -> int:
    return main(["gate", str(GATE_SPEC), "--baseline", str(GATE / "baseline"), "--results",
                 str(GATE / results), "--verdict", str(verdict), *args])


def test_runs_like_the_reference_pass_and_the_verdict_names_it(reference_store, tmp_path,
                                                                capsys):
    verdict = tmp_path / "v.md"
    assert _gate("same", verdict, "--reference", REF[:10], "--db", str(reference_store)) == 0
    text = verdict.read_text()
    assert "- judged against: the stored baseline tests/data/gate/baseline" in text
    assert (f"- judged against: reference {REF[:10]}: 5 stored run(s) from the results history "
            f"at {reference_store} (drift guard)") in text
    assert f"- reference {REF[:10]}: best val_acc " in text and "): pass" in text


def test_a_drop_against_the_reference_fails_the_gate(reference_store, tmp_path, capsys):
    verdict = tmp_path / "v.md"
    assert _gate("regressed", verdict, "--reference", REF[:10], "--db",
                 str(reference_store)) == 1
    err = capsys.readouterr().err
    assert f"drift: {REF[:10]}: best val_acc " in err and "regression" in err


def test_a_reference_without_comparable_runs_fails_and_says_why(reference_store, tmp_path,
                                                                 capsys):
    verdict = tmp_path / "v.md"
    assert _gate("same", verdict, "--reference", "f" * 12, "--db", str(reference_store)) == 1
    assert ("drift guard: ffffffffffff: no comparable runs in the results history at "
            f"{reference_store} (no runs at that commit other than those judged)"
            ) in verdict.read_text()


def test_the_runs_judged_are_never_their_own_reference(reference_store, tmp_path, capsys):
    with open_store(reference_store) as store:  # the candidates, stored at the reference too
        for path in sorted((GATE / "same").rglob("*.json")):
            doc = load_results(path)
            doc["environment"]["git_commit"] = REF
            assert store.record(doc, path)
    verdict = tmp_path / "v.md"
    assert _gate("same", verdict, "--reference", REF[:10], "--db", str(reference_store)) == 0
    assert f"reference {REF[:10]}: 5 stored run(s)" in verdict.read_text()


def test_a_bad_reference_is_one_usage_line_before_anything_runs(tmp_path, capsys):
    verdict = tmp_path / "v.md"
    assert _gate("same", verdict, "--reference", "no-such-tag") == 2
    assert capsys.readouterr().err.strip() == (
        "error: --reference no-such-tag: not a tag, branch or commit of the repository here "
        "(nor a commit hash of 7+ hex digits)")
    assert not verdict.exists()


def test_the_verdict_goes_to_the_step_summary_and_the_store(tmp_path, monkeypatch, capsys):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    db = tmp_path / "h.sqlite"
    monkeypatch.setenv("HARNESS_DB", str(db))
    verdict = tmp_path / "v.md"
    assert _gate("same", verdict) == 0
    assert summary.read_text() == "earlier step\n" + verdict.read_text().rstrip("\n") + "\n\n"
    with open_store(db, create=False) as store:
        (row,) = store.runs("gate_rnn", kind="gate")
    assert row.status in ("pass", "PASS")


def test_a_broken_store_costs_a_warning_not_the_verdict(tmp_path, monkeypatch, capsys):
    db = tmp_path / "h.sqlite"
    db.write_bytes(b"garbage" * 100)
    monkeypatch.setenv("HARNESS_DB", str(db))
    verdict = tmp_path / "v.md"
    assert _gate("same", verdict) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert verdict.is_file()
    (warning,) = [line for line in err if line.startswith("warning:")]
    assert "not an SQLite database" in warning and "is written, but not kept in the history" \
        in warning


def test_gate_json_lists_what_it_judged_against(tmp_path, capsys):
    assert _gate("same", tmp_path / "v.md", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["judged_against"] == ["the stored baseline tests/data/gate/baseline"]
