"""The GPU checks' script: it refuses to pass without a GPU, and a skip or a failed step fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT

from harness import gpucheck


def test_every_step_names_files_that_exist():
    for step in gpucheck.steps(Path("reports/gpu"), seeds=2):
        specs = [a for a in step.argv if a.startswith("specs/")]
        assert all((ROOT / s).is_file() for s in specs), step.name
    run = gpucheck.steps(Path("out"), seeds=2)[2]
    assert gpucheck.shown(run).startswith("harness run ") and "--device gpu" in gpucheck.shown(run)
    assert gpucheck.shown(gpucheck.steps(Path("out"), None)[0]).startswith("pytest -m gpu ")


def test_a_failed_step_or_a_skipped_test_fails_the_summary():
    done = gpucheck.steps(Path("out"), None)
    for step in done:
        step.returncode, step.seconds = 0, 1.0
    assert gpucheck.render(done, [], "GPU:0").startswith("# GPU checks: PASS")
    text = gpucheck.render(done, ["test_x: needs a GPU"], "GPU:0")
    assert text.startswith("# GPU checks: FAIL") and "test_x: needs a GPU" in text
    done[1].returncode = 2
    text = gpucheck.render(done, [], "GPU:0")
    assert text.startswith("# GPU checks: FAIL") and "- FAILED: bench on cpu and gpu" in text


def test_skipped_tests_are_read_from_junit_xml(tmp_path):
    junit = tmp_path / "j.xml"
    junit.write_text('<testsuites><testsuite><testcase name="a"/><testcase name="b">'
                     '<skipped message="needs a GPU: none"/></testcase></testsuite></testsuites>')
    assert gpucheck.skipped_tests(junit) == ["b: needs a GPU: none"]
    assert gpucheck.skipped_tests(tmp_path / "missing.xml") == []


def test_without_a_gpu_it_stops_in_one_line(tmp_path):
    if gpucheck.gpu_or_none() is None:
        pytest.skip("a GPU is visible: the refusal cannot be seen here")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # a user's shell
    proc = subprocess.run([sys.executable, "-m", "harness.gpucheck", "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300, env=env)
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert proc.stderr.startswith("error: the GPU checks need a GPU visible to TensorFlow: ")
    assert not list(tmp_path.iterdir())  # nothing ran, nothing written
