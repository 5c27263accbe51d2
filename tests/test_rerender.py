"""Every committed report re-renders byte for byte from the committed data beside it, by the
command that wrote it, into a temporary folder: a change to the report code that would change
a committed report fails here.

- ``reports/<spec>/report.md``: ``harness report reports/<spec>/results.json`` (the folder's
  ``runs/`` give its "Runs in this folder" table);
- ``reports/bench/report.md`` and ``reports/bench/full/report.md``: ``harness report`` of the
  bench's ``results.json`` (with the pytest-benchmark file the results name);
- ``reports/history/<spec>/history.md``: ``harness history import reports`` into a new store,
  then ``harness history SPEC...``;
- ``reports/baseline/<spec>/seeds.md``: each table is :func:`harness.report.seeds_section` of
  the stored runs of one CPU model, seed by seed; the headings between the tables were written
  by hand when the baseline grew to two machines, and are not checked;
- slow (``-m slow``, minutes of simulations): ``reports/baseline/<spec>/calibration.md``
  (``harness calibrate SPEC --extend 0``) and ``reports/history/changepoint.md``
  (``python -m harness.history.changepoint``, seeded).

Not re-rendered, for want of committed data (:data:`NOT_RERENDERED`): the gate's verdict (the
runs it judged came from a CI run and are not committed, only the baseline they were judged
against is) and the gate's seeds per minute (a timing, measured again by
``tox -e throughput``).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from support import BASELINE, REPORTS, ROOT

from harness.report import seeds_section
from harness.results import load_run
from harness.spec import load_spec

pytestmark = pytest.mark.usefixtures("at_root")  # reports name files relative to the root

RUN_FOLDERS = sorted(p.parent for p in REPORTS.glob("*/results.json")
                     if p.parent.name != "bench")
BENCH_FOLDERS = [REPORTS / "bench", REPORTS / "bench" / "full"]
BASELINES = sorted(p for p in BASELINE.iterdir() if (p / "runs").is_dir())
HISTORY_SPECS = sorted(p.parent.name for p in (REPORTS / "history").glob("*/history.md"))

NOT_RERENDERED = {
    "gate/verdict.md": "judges runs of a CI run (seeds 8-10 and 40-61) that are not committed",
    "gate/seeds_per_minute.md": "a timing of the gate's CI schedule; no data is kept",
}


def _name(path: Path) -> str:
    return path.relative_to(REPORTS).as_posix()


def test_every_committed_report_is_rerendered_here_or_said_why_not():
    committed = sorted(_name(p) for p in REPORTS.rglob("*.md"))
    checked = ([f"{_name(f)}/report.md" for f in RUN_FOLDERS + BENCH_FOLDERS]
               + [f"{_name(f)}/{md}" for f in BASELINES for md in ("seeds.md", "calibration.md")]
               + [f"history/{spec}/history.md" for spec in HISTORY_SPECS]
               + ["history/changepoint.md"])
    assert len(RUN_FOLDERS) == 11 and len(BASELINES) == 3 and len(HISTORY_SPECS) == 2
    assert sorted([*checked, *NOT_RERENDERED]) == committed


@pytest.mark.parametrize("folder", RUN_FOLDERS, ids=lambda f: f.name)
def test_run_report(folder, tmp_path, harness):
    shutil.copytree(folder / "runs", tmp_path / "runs")
    result = harness("report", folder / "results.json", "--out", tmp_path)
    assert result.code == 0, result.err
    assert (tmp_path / "report.md").read_text() == (folder / "report.md").read_text()


@pytest.mark.parametrize("folder", BENCH_FOLDERS, ids=_name)
def test_bench_report(folder, tmp_path, harness):
    # named as `tox -e bench` names it, from the root: the pytest-benchmark file is found so
    result = harness("report", (folder / "results.json").relative_to(ROOT), "--out", tmp_path)
    assert result.code == 0, result.err
    assert (tmp_path / "report.md").read_text() == (folder / "report.md").read_text()


def test_history_reports(tmp_path, harness):
    db = tmp_path / "history.sqlite"
    imported = harness("history", "import", "reports", "--db", db)
    assert imported.code == 0, imported.err
    result = harness("history", *HISTORY_SPECS, "--db", db, "--out", tmp_path / "out")
    assert result.code == 0, result.err
    for spec in HISTORY_SPECS:
        assert ((tmp_path / "out" / spec / "history.md").read_text()
                == (REPORTS / "history" / spec / "history.md").read_text()), spec


def _tables(markdown: str) -> list[str]:
    """Every GitHub table of a Markdown text, in order."""
    return [m.group(0).rstrip("\n") for m in re.finditer(r"(?:^\|.*\|\n?)+", markdown, re.M)]


@pytest.mark.parametrize("folder", BASELINES, ids=lambda f: f.name)
def test_seed_tables(folder):
    spec = load_spec(ROOT / "specs" / f"{folder.name}.yaml")
    # as `harness run --seeds` writes seeds.md: the band metrics are summarized too
    extra = tuple(b.metric for b in (spec.band, spec.ci and spec.ci.band) if b is not None)
    by_cpu: dict[str | None, list] = {}
    for path in sorted((folder / "runs").glob("*.json")):
        run = load_run(path)
        if run.status == "complete":
            by_cpu.setdefault(run.environment.cpu.model, []).append(run)
    rendered = [seeds_section(sorted(runs, key=lambda r: r.execution.seed), extra)
                for runs in by_cpu.values()]
    assert sorted(_tables((folder / "seeds.md").read_text())) == sorted(rendered)


@pytest.mark.slow
@pytest.mark.parametrize("folder", BASELINES, ids=lambda f: f.name)
def test_calibration_report(folder, tmp_path, harness):
    baseline = tmp_path / "baseline"
    shutil.copytree(BASELINE, baseline, ignore=shutil.ignore_patterns("calibration.md"))
    result = harness("calibrate", f"specs/{folder.name}.yaml", "--extend", "0",
                     "--baseline", baseline)
    assert result.code == 0, result.err
    assert ((baseline / folder.name / "calibration.md").read_text()
            == (folder / "calibration.md").read_text())


@pytest.mark.slow
def test_changepoint_report():
    from harness.history.changepoint import simulation_report

    # `python -m harness.history.changepoint > reports/history/changepoint.md`: print's newline
    assert simulation_report() + "\n" == (REPORTS / "history" / "changepoint.md").read_text()
