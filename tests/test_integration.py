"""One epoch of the book's SimpleRNN spec on a slice of the real reviews, report checked."""

from __future__ import annotations

import json

from support import ROOT

from harness.cli import main


def test_one_epoch_on_real_reviews(real_archive, tmp_path, capsys):
    out = tmp_path / "reports"
    code = main(["run", str(ROOT / "specs" / "imdb_simple_rnn.yaml"), "--data", str(real_archive),
                 "--out", str(out), "--epochs", "1", "--train-samples", "2000",
                 "--test-samples", "1000"])
    printed = capsys.readouterr()
    # One epoch on 1,600 reviews cannot reach the 10-epoch band: the run completes, the band
    # verdict is a miss, and the exit code says so.
    assert code == 1
    assert "outside the band" in printed.err
    folder = out / "imdb_simple_rnn"
    results = json.loads((folder / "results.json").read_text())
    assert results["status"] == "complete" and results["epochs_done"] == 1
    assert results["data"]["x_train_shape"] == [2000, 500]
    assert results["data"]["checksum"].startswith("72deb184")  # sha256 of the archive
    assert (results["data"]["train_samples"], results["data"]["val_samples"]) == (1600, 400)
    assert results["architecture"]["totals"]["total_params"] == 322113
    assert 0.0 < results["test"]["acc"] < 1.0 and results["test"]["samples"] == 1000
    assert results["band"]["verdict"] == "fail"
    report = (folder / "report.md").read_text()
    for heading in ("## Architecture", "## This run beside the book", "## Per-epoch history",
                    "## Figures", "## Environment"):
        assert heading in report
    assert "| 1       | 0." in report and "0.7758" in report  # our epoch 1 beside the book's
    assert (folder / "accuracy.png").stat().st_size > 5000
