"""harness.benchmark_baseline: the first ``--benchmark-compare-fail`` run on an empty storage
passes with a note and saves the baseline; the next run compares against it. A tiny benchmark in
a pytest subprocess (seconds), with its own storage folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.benchmark_baseline import NOTE

TINY = (
    "def test_sum(benchmark):\n"
    "    assert benchmark(sum, range(100)) == 4950\n"
)


def _pytest(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         "--rootdir", str(folder), "-p", "harness.benchmark_baseline",
         f"--benchmark-storage=file://{folder / 'storage'}", "--benchmark-min-rounds=3",
         "--benchmark-max-time=0.01", *args, str(folder / "test_tiny.py")],
        capture_output=True, text=True, cwd=folder, timeout=120)


def _stored(folder: Path) -> list[Path]:
    return sorted((folder / "storage").rglob("*.json"))


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "test_tiny.py").write_text(TINY)
    return tmp_path


def test_a_first_compare_fail_run_saves_the_baseline_and_passes(project):
    first = _pytest(project, "--benchmark-compare", "--benchmark-compare-fail=mean:10%")
    out = first.stdout + first.stderr
    assert first.returncode == 0, out
    assert NOTE in out and "UsageError" not in out and "Traceback" not in out
    (saved,) = _stored(project)
    assert saved.name.startswith("0001_") and not saved.name.startswith("0001_True")
    assert json.loads(saved.read_text())["benchmarks"][0]["name"] == "test_sum"

    # the next run compares against it (a threshold no noise reaches) and saves nothing more
    second = _pytest(project, "--benchmark-compare", "--benchmark-compare-fail=mean:100000%")
    out = second.stdout + second.stderr
    assert second.returncode == 0, out
    assert NOTE not in out and "Comparing against benchmarks from" in out
    assert _stored(project) == [saved]


def test_compare_fail_alone_on_an_empty_storage_also_starts_the_baseline(project):
    run = _pytest(project, "--benchmark-compare-fail=median:15%")
    assert run.returncode == 0, run.stdout + run.stderr
    assert NOTE in run.stdout + run.stderr and len(_stored(project)) == 1


def test_a_run_without_compare_is_left_alone(project):
    run = _pytest(project)
    assert run.returncode == 0, run.stdout + run.stderr
    assert NOTE not in run.stdout + run.stderr and _stored(project) == []
