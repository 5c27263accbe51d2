"""Any recorded metric, not only accuracy: specs with ``metrics: []`` or other metrics train and
report, bands on a lower-is-better figure, figures of a metric a run lacks, reports of
loss-only and regression histories."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from support import RESULTS, SPECS, run_on_tiny

from harness.figures import band_value, figure, history_order, reference_run
from harness.pipeline import _finished_epochs, band_verdict
from harness.report import (
    data_source,
    plotted_metrics,
    public_text,
    render_report,
    seeds_section,
    summary_figures,
    write_report,
)
from harness.results import load_results
from harness.spec import Band

SMALL = RESULTS / "small.json"


def _results(out: Path, name: str) -> dict:
    return json.loads((out / name / "results.json").read_text())


# --- training with other metrics ---------------------------------------------------------------


def test_a_spec_without_metrics_trains_and_reports_loss_only(harness, tmp_path):
    out = tmp_path / "out"
    result = run_on_tiny(harness, SPECS / "good_tiny_loss_only.yaml", out)
    assert result.code == 0, result.err
    epochs = [ln for ln in result.out.splitlines() if ln.startswith(("epoch ", "test: "))]
    assert len(epochs) == 3 and epochs[1].startswith("epoch 2/2  loss ")
    assert all("val_loss" in ln for ln in epochs[:2]) and not any("acc" in ln for ln in epochs)
    doc = _results(out, "tiny_loss_only")
    assert list(doc["history"]) == ["loss", "val_loss"]
    assert set(doc["test"]) == {"loss", "samples", "time_s"}
    # lower is better: the band reads the lowest val_loss
    assert doc["band"]["value"] == min(doc["history"]["val_loss"])
    assert doc["band"]["verdict"] == "pass"
    folder = out / "tiny_loss_only"
    assert (folder / "loss.png").stat().st_size > 5000
    assert not (folder / "accuracy.png").exists()
    report = (folder / "report.md").read_text()
    lines = report.splitlines()
    assert lines[2] == (f"- band: **pass**: best val_loss (lower is better) "
                        f"{doc['band']['value']:.4f} in [0.00, 10.00]; book 0.6600")
    assert "acc" not in report.split("## This run beside the book")[1].split("## Environment")[0]
    assert "| book loss   | book val_loss   | book epoch time (s)" in report
    assert "| test loss                             |" in report

    # The gate judges such a spec without crashing: the accuracy figures are not recorded.
    verdict = tmp_path / "verdict.md"
    (tmp_path / "baseline").mkdir()
    gate = harness("gate", SPECS / "good_tiny_loss_only.yaml", "--results", out,
                   "--baseline", tmp_path / "baseline", "--verdict", verdict)
    assert gate.code == 0, gate.err
    text = verdict.read_text()
    assert "| best val_acc " in text and text.count("not recorded") == 3
    assert "best val_loss (lower is better)" in text and "inside [0.00, 10.00]" in text


def test_a_lower_is_better_band_that_is_missed(harness, tmp_path):
    spec = tmp_path / "miss.yaml"
    spec.write_text((SPECS / "good_tiny_loss_only.yaml").read_text().replace(
        "band: {metric: best_val_loss, low: 0.0, high: 10.0}",
        "band: {metric: best_val_loss, low: 0.0, high: 0.01}"))
    out = tmp_path / "out"
    result = run_on_tiny(harness, spec, out)
    assert result.code == 1
    doc = _results(out, "tiny_loss_only")
    assert doc["band"]["verdict"] == "fail"
    assert result.error == (f"error: tiny_loss_only: best_val_loss = {doc['band']['value']:.4f} "
                            f"outside the band [0.0, 0.01] ({spec}: band)")
    report = (out / "tiny_loss_only" / "report.md").read_text()
    assert "best val_loss (lower is better) " in report and " not in [0.00, 0.01]" in report


def test_metrics_other_than_accuracy_are_recorded_under_their_keras_names(harness, tmp_path):
    out = tmp_path / "out"
    result = run_on_tiny(harness, SPECS / "good_tiny_metrics.yaml", out)
    assert result.code == 0, result.err
    assert "  binary_accuracy " in result.out and "  val_mae " in result.out
    assert "test: loss " in result.out and " mae " in result.out
    doc = _results(out, "tiny_metrics")
    assert list(doc["history"]) == ["loss", "binary_accuracy", "mae", "val_loss",
                                    "val_binary_accuracy", "val_mae"]
    assert {"loss", "binary_accuracy", "mae"} <= set(doc["test"])
    assert doc["band"]["value"] == min(doc["history"]["val_mae"])
    folder = out / "tiny_metrics"
    assert sorted(p.name for p in folder.glob("*.png")) == ["binary_accuracy.png", "loss.png",
                                                           "mae.png"]
    report = (folder / "report.md").read_text()
    assert "best val_mae (lower is better)" in report.splitlines()[2]
    assert "| best val_binary_accuracy (highest)" in report and "| test mae " in report


def test_a_resumed_run_keeps_every_recorded_key():
    previous = {"checkpoint": {"epoch": 1}, "epoch_time_s": [1.0, 2.0],
                "history": {"loss": [0.5, 0.4], "mae": [0.3, 0.2], "val_loss": [0.6, 0.5]}}
    start = _finished_epochs(previous)
    assert start.history == {"loss": [0.5], "mae": [0.3], "val_loss": [0.6]}
    assert start.epochs_done == 1


# --- figures and bands ---------------------------------------------------------------------------

RUN = {"history": {"loss": [0.5, 0.3, 0.4], "val_loss": [0.30, 0.26, 0.28],
                   "val_mae": [0.9, 0.7, 0.8], "val_auc": [0.6, 0.8, 0.7]},
       "test": {"loss": 0.27, "mae": 0.75, "samples": 10, "time_s": 0.1}}


@pytest.mark.parametrize(("name", "value"), [
    ("best_val_loss", 0.26), ("final_val_loss", 0.28), ("best_val_mae", 0.7),
    ("best_val_auc", 0.8), ("final_val_auc", 0.7), ("best_loss", 0.3), ("test_loss", 0.27),
    ("test_mae", 0.75), ("best_val_acc", None), ("test_acc", None), ("test_samples", None),
])
def test_figures_follow_each_metric_direction(name, value):
    assert figure(RUN, name) == value


@pytest.mark.parametrize(("low", "high", "verdict"), [(0.25, 0.27, "pass"),
                                                      (0.27, 0.29, "fail")])
def test_a_lower_is_better_band_reads_the_lowest_value(low, high, verdict):
    band = Band(metric="best_val_loss", low=low, high=high)
    assert band.lower_is_better
    result = band_verdict(band, RUN)
    assert (result["value"], result["verdict"]) == (0.26, verdict)


def test_a_band_direction_overrides_the_name():
    band = Band(metric="best_val_loss", low=0.0, high=1.0, direction="higher")
    assert band_value(band, RUN) == 0.30


@pytest.mark.parametrize("metric", ["best_val_acc", "final_val_binary_accuracy", "test_acc",
                                    "best_mae"])
def test_a_band_on_a_metric_the_run_lacks_has_no_result(metric):
    result = band_verdict(Band(metric=metric, low=0.0, high=1.0), RUN)
    assert (result["value"], result["verdict"]) == (None, "no result")


def test_accuracy_figures_stay_as_they_were():
    figures = summary_figures(load_results(SMALL))
    assert (figures["best_val_acc"], figures["best_epoch"], figures["final_val_acc"],
            figures["test_acc"], figures["test_loss"]) == (1.0, 2, 0.5, 0.75, 0.65)
    assert figures["best_val_loss"] == 0.66 and figures["best_loss"] == 0.5
    assert figures["best_acc"] == 1.0 and figures["final_loss"] == 0.5


def test_figures_of_a_loss_only_run_are_none_for_accuracy():
    figures = summary_figures(RUN)
    assert figures["best_val_acc"] is None and figures["test_acc"] is None
    assert figures["best_epoch"] is None and figures["best_val_loss"] == 0.26


def test_history_order_puts_loss_first_then_the_validation_keys():
    assert history_order(["binary_accuracy", "loss", "mae", "val_binary_accuracy", "val_loss",
                          "val_mae"]) == ["loss", "binary_accuracy", "mae", "val_loss",
                                          "val_binary_accuracy", "val_mae"]


def test_a_reference_reads_as_a_run():
    ref = {"history": {"loss": [0.3], "val_loss": [0.25]}, "test": {"mae": 0.5},
           "test_acc": 0.88}
    run = reference_run(ref)
    assert figure(run, "best_val_loss") == 0.25 and figure(run, "test_acc") == 0.88
    assert figure(run, "test_mae") == 0.5 and figure(reference_run(None), "test_acc") is None


# --- reports -------------------------------------------------------------------------------------


def _loss_only() -> dict:
    results = copy.deepcopy(load_results(SMALL))
    for key in ("acc", "val_acc"):
        results["history"].pop(key)
    results["test"].pop("acc")
    results["band"] = {"metric": "best_val_loss", "low": 0.6, "high": 0.7, "direction": None,
                       "value": 0.66, "verdict": "pass"}
    results["reference"]["history"] = {"loss": [0.7, 0.6], "val_loss": [0.7, 0.65]}
    results["reference"]["seconds_per_epoch"] = [2.0, 1.5]
    results["reference"]["test"] = {"loss": 0.64}
    return results


def test_report_of_a_loss_only_run_against_a_regression_reference(tmp_path):
    results = _loss_only()
    text = render_report(results)
    lines = text.splitlines()
    assert lines[2] == ("- band: **pass**: best val_loss (lower is better) 0.6600 in "
                        "[0.60, 0.70]; book 0.6500")
    assert lines[3] == "- status: **complete**"
    assert "| best val_loss (lowest)                | 0.6600     | 0.6500 |" in text
    assert "| epoch of best val_loss                | 3          | 2      |" in text
    assert "| test loss                             | 0.6500     | 0.6400 |" in text
    assert "| median epoch time after the first (s) | 0.4        | 2.0    |" in text
    assert "acc" not in text.split("## Per-epoch history")[1].split("## Environment")[0]
    assert ("| epoch   | loss   | val_loss   | epoch time (s)   | book loss   | book val_loss   "
            "| book epoch time (s)   |") in text
    assert "| 1       | 0.6900 | 0.7000     | 2.0              | 0.7000      | 0.7000          " \
           "| 2                     |" in text
    assert "| 2       | 0.6000 | 0.6800     | 0.5              | 0.6000      | 0.6500          " \
           "| 1.5                   |" in text
    assert "![Training and validation loss](loss.png)" in text
    assert "accuracy.png" not in text
    assert plotted_metrics(results) == ["loss"]
    write_report(results, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loss.png", "report.md"]


def test_report_of_a_band_without_a_result():
    results = _loss_only()
    results["band"] = {"metric": "best_val_mae", "low": 0.2, "high": 0.3, "direction": None,
                       "value": None, "verdict": "no result"}
    assert render_report(results).splitlines()[2] == (
        "- band: **no result**: best val_mae (lower is better) not recorded, band [0.20, 0.30]; "
        "book -")


def test_report_without_a_band_leads_with_the_headline_figure():
    results = copy.deepcopy(load_results(SMALL))
    results["band"] = None
    assert render_report(results).splitlines()[2] == (
        "- band: **no band**; best val_acc (higher is better) 1.0000; book 0.5000")


def test_a_history_with_another_metric_gets_its_own_figure(tmp_path):
    results = _loss_only()
    results["history"]["mae"] = [0.5, 0.4, 0.3]
    results["history"]["val_mae"] = [0.55, 0.45, 0.35]
    assert plotted_metrics(results) == ["loss", "mae"]
    write_report(results, tmp_path)
    assert (tmp_path / "mae.png").stat().st_size > 5000
    assert "![Training and validation mae](mae.png)" in (tmp_path / "report.md").read_text()


def test_reports_name_no_machine_path_and_cite_no_shared_file():
    results = copy.deepcopy(load_results(SMALL))
    results["data"]["source"] = "archive:/work/main/../shared/datasets/aclImdb_v1.tar.gz"
    results["reference"]["source"] = (
        "Deep Learning with Python, section 6.2, notebook transcript ../shared/seed/0.txt "
        "(Epoch 1/10 log); tabulated in ../shared/REFERENCE.md")
    text = render_report(results)
    assert "- data: archive aclImdb_v1.tar.gz (sha256" in text
    assert "Book figures: Deep Learning with Python, section 6.2, notebook transcript " \
           "(Epoch 1/10 log)\n" in text
    assert "shared" not in text and "/work" not in text


@pytest.mark.parametrize(("text", "shown"), [
    ("book; quoted in section 6.2 of ../shared/x.txt (\"88%\"); ../shared/R.md",
     "book; quoted in section 6.2 (\"88%\")"),
    ("no path here; none", "no path here; none"),
])
def test_public_text(text, shown):
    assert public_text(text) == shown


@pytest.mark.parametrize(("source", "shown"), [
    ("archive:/a/b/aclImdb_v1.tar.gz", "archive aclImdb_v1.tar.gz"),
    ("folder:tests/data/aclImdb_tiny", "folder aclImdb_tiny"),
    ("keras.datasets.imdb", "keras.datasets.imdb"),
    ("/data/jena_climate_2009_2016.csv", "jena_climate_2009_2016.csv"),
])
def test_data_source_shows_the_file_name_only(source, shown):
    assert data_source(source) == shown


def test_seed_statistics_of_loss_only_runs():
    runs = []
    for seed, shift in ((0, 0.0), (1, 0.02)):
        run = copy.deepcopy(RUN)
        run["history"] = {k: [v + shift for v in vs] for k, vs in run["history"].items()}
        run["execution"] = {"seed": seed}
        run["epoch_time_s"] = [2.0, 1.0, 1.0]
        runs.append(run)
    text = seeds_section(runs)
    for label in ("best val_loss", "final val_loss", "best val_mae", "best val_auc",
                  "test loss", "test mae", "epoch time (s)"):
        assert f"| {label} " in text, text
    assert "val_acc" not in text
    assert "| best val_loss  | 2      | 0.2700 |" in text
