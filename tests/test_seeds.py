"""harness.pipeline with several seeds: the CI schedule, determinism, a compiled model reused across
seeds (tiny spec on the tiny hand-written reviews)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from support import SPECS, TINY

from harness.cli import main


def _run(out: Path, *args: str) -> int:
    return main(["run", str(SPECS / "good_tiny.yaml"), "--data", str(TINY), "--out", str(out),
                 "--mode", "default", *args])


def _runs(out: Path) -> list[dict]:
    docs = [json.loads(p.read_text()) for p in (out / "tiny_rnn" / "runs").glob("*.json")]
    return sorted(docs, key=lambda d: d["execution"]["seed"])


@pytest.fixture
def op_determinism():
    """Turn TensorFlow op determinism back off afterwards: it is process-wide."""
    yield
    from tensorflow.python.framework import config

    config.disable_op_determinism()


def test_deterministic_runs_repeat_exactly(tmp_path, op_determinism, capsys):
    assert _run(tmp_path / "a", "--deterministic", "--seed", "3") == 0
    assert _run(tmp_path / "b", "--deterministic", "--seed", "3") == 0
    (a,), (b,) = _runs(tmp_path / "a"), _runs(tmp_path / "b")
    assert a["history"] == b["history"] and a["test"]["acc"] == b["test"]["acc"]
    assert a["execution"]["deterministic"] is True and a["execution"]["seed"] == 3
    report = (tmp_path / "a" / "tiny_rnn" / "report.md").read_text()
    assert "deterministic (op determinism on)" in report


def test_seeds_write_one_run_each_and_reuse_the_compiled_model(tmp_path, capsys):
    assert _run(tmp_path / "seeds", "--seeds", "2", "--seed", "4") == 0
    runs = _runs(tmp_path / "seeds")
    assert [r["execution"]["seed"] for r in runs] == [4, 5]
    assert {r["schedule"]["name"] for r in runs} == {"spec"}
    assert runs[0]["history"] != runs[1]["history"]
    printed = capsys.readouterr().out
    assert "## tiny_rnn: 2 seeds" in printed and "| metric" in printed and "95% CI" in printed
    assert "per seed (4, 5)" in printed
    for seed in (4, 5):  # each run says which seed it is
        assert f"== tiny_rnn ({SPECS / 'good_tiny.yaml'}): seed {seed}, mode default" in printed
    # Seed 5 ran on the model compiled for seed 4; alone, it trains exactly the same.
    assert _run(tmp_path / "alone", "--seed", "5") == 0
    (alone,) = _runs(tmp_path / "alone")
    assert alone["history"] == runs[1]["history"]
    assert alone["test"] == {**runs[1]["test"], "time_s": alone["test"]["time_s"]}
    assert alone["execution"]["deterministic"] is False
    # Two more seeds in the same folder: seeds.md covers every comparable run stored there.
    assert _run(tmp_path / "seeds", "--seeds", "2", "--seed", "6") == 0
    stored = (tmp_path / "seeds" / "tiny_rnn" / "seeds.md").read_text()
    assert stored.startswith("## tiny_rnn: 4 comparable runs in runs/")
    assert "per seed (4, 5, 6, 7)" in stored


def test_ci_schedule_then_the_gate(tmp_path, capsys):
    assert _run(tmp_path / "runs", "--ci") == 0  # ci.seeds = 2, ci.band = [0, 1]
    runs = _runs(tmp_path / "runs")
    assert [r["execution"]["seed"] for r in runs] == [0, 1]
    assert runs[0]["schedule"] == {"name": "ci", "epochs": 2, "batch_size": 2,
                                   "train_samples": None, "test_samples": None,
                                   "validation_split": 0.5}
    assert runs[0]["band"]["verdict"] == "pass"
    # two more seeds of the CI schedule, gated against the first two as their baseline
    assert _run(tmp_path / "new", "--ci", "--seed", "2") == 0
    verdict = tmp_path / "verdict.md"
    code = main(["gate", str(SPECS / "good_tiny.yaml"), "--results", str(tmp_path / "new"),
                 "--baseline", str(tmp_path / "runs"), "--verdict", str(verdict)])
    text = verdict.read_text()
    # The tiny model learns next to nothing from four reviews: whether the gate calls it stuck
    # at chance depends on the seed's figures; the exit code must agree with the verdict.
    assert code == (1 if text.startswith("# Accuracy gate: FAIL") else 0)
    assert "- baseline: 2 comparable runs, seed 0, 1" in text
    # Every metric is judged against the baseline; which way depends on the tiny runs' figures
    # (and on the machine's load for the epoch time, which is reported but not gated).
    judged = ("| pass ", "| regression ", "| improvement ", "| slower (not gated) ",
              "| faster (not gated) ", "| lower (not gated) ", "| higher (not gated) ")
    assert sum(text.count(verdict) for verdict in judged) == 4, text
    # the baseline against itself: no comparison, and the verdict says why
    main(["gate", str(SPECS / "good_tiny.yaml"), "--results", str(tmp_path / "runs"),
          "--baseline", str(tmp_path / "runs"), "--verdict", str(verdict)])
    text = verdict.read_text()
    assert "- note: 2 of the runs under test are baseline runs from " in text
    assert text.count("| no baseline ") == 4


def test_run_usage_errors(tmp_path, capsys):
    assert _run(tmp_path, "--ci", "--epochs", "3") == 2
    assert "--epochs: the CI schedule comes from each spec's ci section" in capsys.readouterr().err
    assert _run(tmp_path, "--seed", "0,1", "--seeds", "2") == 2
    assert "give either a list of seeds" in capsys.readouterr().err
    doc = yaml.safe_load((SPECS / "good_tiny.yaml").read_text())
    del doc["ci"]
    no_ci = tmp_path / "no_ci.yaml"
    no_ci.write_text(yaml.safe_dump(doc))
    code = main(["run", str(no_ci), "--ci", "--data", str(TINY), "--out", str(tmp_path)])
    assert code == 2 and "no_ci.yaml: no ci section" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        _run(tmp_path, "--seed", "1,1")
    assert exc.value.code == 2 and "seeds must differ" in capsys.readouterr().err
