"""harness.parallel: seeds in worker processes give the runs a run in this process gives, and a
worker's error comes back as one line with its exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import GOOD

from harness.cli import main
from harness.parallel import Task, WorkerError, run_tasks
from harness.pipeline import RunOptions
from harness.spec import load_spec


def _histories(folder: Path) -> dict[int, dict]:
    runs = [json.loads(f.read_text()) for f in (folder / "tiny_rnn" / "runs").glob("*.json")]
    return {r["execution"]["seed"]: r["history"] for r in runs}


def test_two_processes_give_the_runs_of_one(tiny_folder, tmp_path, capsys):
    # (not --deterministic: op determinism stays on in this process and turns XLA off for the
    # tests that follow; one seed of this model repeats exactly on one machine with XLA anyway)
    common = ["run", str(GOOD), "--data", str(tiny_folder), "--seed", "0", "--seeds", "3"]
    assert main([*common, "--jobs", "2", "--out", str(tmp_path / "two")]) == 0
    assert "running 3 run(s) in 2 processes, 1 TensorFlow thread(s) each" in \
        capsys.readouterr().out
    assert main([*common, "--jobs", "1", "--out", str(tmp_path / "one")]) == 0
    two, one = _histories(tmp_path / "two"), _histories(tmp_path / "one")
    assert sorted(two) == [0, 1, 2]
    assert two == one


def test_an_error_in_a_worker_is_one_line_with_its_exit_code(tmp_path):
    spec = load_spec(GOOD)
    options = RunOptions(data=str(tmp_path / "missing"), out=str(tmp_path / "out"))
    with pytest.raises(WorkerError) as caught:
        run_tasks([Task(spec, options, 0), Task(spec, options, 1)], 2)
    assert caught.value.exit_code == 1
    message = str(caught.value)
    assert "missing" in message and "\n" not in message


def test_jobs_must_be_positive(capsys):
    with pytest.raises(SystemExit):
        main(["run", str(GOOD), "--jobs", "0"])
    assert "--jobs: must be a positive integer, got '0'" in capsys.readouterr().err
