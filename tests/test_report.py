"""harness.report: Markdown pinned by a golden file; PNGs are real images."""

from __future__ import annotations

import copy

from support import RESULTS

from harness.report import render_report, summary_figures, write_report
from harness.results import load_results


def test_report_matches_the_golden_file():
    results = load_results(RESULTS / "small.json")
    assert render_report(results) == (RESULTS / "small.md").read_text()


def test_summary_figures():
    figures = summary_figures(load_results(RESULTS / "small.json"))
    assert figures["best_val_acc"] == 1.0 and figures["best_epoch"] == 2
    assert figures["final_val_acc"] == 0.5 and figures["test_acc"] == 0.75
    assert figures["first_epoch_time_s"] == 2.0
    assert figures["median_epoch_time_s"] == 0.375  # epochs after the first: 0.5 and 0.25
    assert figures["throughput_samples_per_s"] == 2 / 0.375


def test_table_cells_are_cleaned_of_pipes_and_newlines():
    results = copy.deepcopy(load_results(RESULTS / "small.json"))
    results["environment"]["platform"] = "Linux | x86\nsecond line"
    text = render_report(results)
    assert "| platform                        | Linux \\| x86 second line" in text


def test_write_report_draws_both_figures(tmp_path):
    path = write_report(load_results(RESULTS / "small.json"), tmp_path)
    assert path == tmp_path / "report.md"
    for name in ("accuracy.png", "loss.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (tmp_path / name).stat().st_size > 5000


def test_a_run_without_history_has_no_figures(tmp_path):
    results = copy.deepcopy(load_results(RESULTS / "small.json"))
    results["history"] = {}
    write_report(results, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]
    assert "## Figures" not in (tmp_path / "report.md").read_text()


def test_a_stopped_run_says_its_band_was_not_checked():
    results = copy.deepcopy(load_results(RESULTS / "small.json"))
    assert "- band: **fail**" in render_report(results)
    results.pop("band")
    results["status"] = "failed"
    assert "- band: **not checked: the run is failed**" in render_report(results)
    results["status"] = "complete"  # complete without a band: the spec has none
    assert "- band: **no band**" in render_report(results)
