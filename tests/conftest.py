"""Shared fixtures: seeding, a private cache, the tiny hand-written archive, the real one."""

from __future__ import annotations

import os
import random
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from support import ROOT, TINY

from harness.data.timeseries import JENA_COLUMNS

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REAL_ARCHIVE = Path(
    os.environ.get("HARNESS_IMDB_DATA", ROOT.parent / "shared" / "datasets"
                   / "aclImdb_v1_labeled.tar.gz")
)


@pytest.fixture(autouse=True)
def _seeded(monkeypatch, tmp_path_factory):
    """Seed every test; keep the encoded-data cache out of the user's home and the results
    history out of the project (runs record into a store of the session's own); a CI job's
    step summary is not the tests' to write."""
    random.seed(0)
    np.random.seed(0)
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.setenv("HARNESS_DB", str(tmp_path_factory.getbasetemp() / "history.sqlite"))
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.fixture
def tiny_folder() -> Path:
    """The unpacked tiny archive (Stanford layout, eight hand-written reviews)."""
    return TINY


@pytest.fixture
def tiny_archive(tmp_path) -> Path:
    """The tiny reviews packed as a .tar.gz, like aclImdb_v1.tar.gz."""
    path = tmp_path / "aclImdb_tiny.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(TINY / "aclImdb", arcname="aclImdb")
    return path


@pytest.fixture(scope="session")
def real_archive() -> Path:
    """The Stanford reviews archive beside the project; tests that need it skip without it."""
    if not REAL_ARCHIVE.is_file():
        pytest.skip(f"the IMDB reviews archive is not at {REAL_ARCHIVE} (set HARNESS_IMDB_DATA)")
    return REAL_ARCHIVE


@dataclass
class CliResult:
    """What ``harness`` printed and returned, run in this process."""

    code: int
    out: str
    err: str

    @property
    def error(self) -> str:
        """The one ``error: ...`` line; fails the test unless there is exactly one, untraced."""
        lines = [ln for ln in self.err.splitlines() if ln.startswith("error: ")]
        assert len(lines) == 1, self.err
        assert "Traceback" not in self.err, self.err
        return lines[0]


@pytest.fixture
def harness(capsys):
    """Run ``harness ARGS...`` in this process (TensorFlow is imported once for all tests)."""
    from harness.cli import main

    def run(*args: object) -> CliResult:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def at_root(monkeypatch) -> Path:
    """Run from the project's root: reports and verdicts name files relative to the working
    directory. Modules whose every test needs it say ``pytest.mark.usefixtures("at_root")``."""
    monkeypatch.chdir(ROOT)
    return ROOT


@pytest.fixture
def files_under():
    """``files_under(folder)``: every file below it (hidden ones too), relative, sorted."""

    def files(folder: Path) -> list[str]:
        return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())

    return files


@pytest.fixture
def gpu():
    """The first GPU TensorFlow sees; tests that need one skip with the reason without it."""
    from harness.machine import device_statuses

    (status,) = device_statuses(["gpu"])
    if not status.available:
        pytest.skip(f"needs a GPU: {status.reason} ({status.detail})")
    return status


JENA_ROWS = 3000


@pytest.fixture(scope="session")
def jena_csv(tmp_path_factory) -> Path:
    """A CSV in the Jena layout: daily-ish cycles and noise, two decimals as in the file."""
    rng = np.random.RandomState(0)
    t = np.arange(JENA_ROWS)[:, None]
    values = np.sin(t / 144 * 2 * np.pi + np.arange(14)) * (np.arange(14) + 1) \
        + rng.normal(0, 0.3, (JENA_ROWS, 14)) + 10 * np.arange(14)
    lines = [",".join(f'"{c}"' for c in JENA_COLUMNS)]
    for i, row in enumerate(values):
        day, minute = divmod(i + 1, 144)
        lines.append(f"{day + 1:02d}.01.2009 {minute // 6:02d}:{minute % 6}0:00,"
                     + ",".join(f"{v:.2f}" for v in row))
    path = tmp_path_factory.mktemp("jena") / "jena_climate_2009_2016.csv"
    path.write_text("\n".join(lines))  # the real file ends without a newline
    return path
