"""harness.calibrate on the tiny reviews: pilot, choice, baseline, report and the ci section it
writes; bad input."""

from __future__ import annotations

import json
import shutil

import pytest
from support import GOOD, ROOT

from harness.calibrate import parse_duration, write_ci_section
from harness.cli import main
from harness.errors import SpecError, UsageError
from harness.spec import load_spec


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("10m", 600), ("1.5h", 5400),
                                               ("45", 45)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0m", "ten minutes", "5d", "-3m"])
def test_bad_durations(text):
    with pytest.raises(UsageError, match="--budget: expected a duration such as 90s"):
        parse_duration(text)


def test_calibrate_chooses_records_reports_and_writes_the_ci_section(tiny_folder, tmp_path,
                                                                    capsys):
    spec = tmp_path / "tiny.yaml"
    shutil.copy(GOOD, spec)
    baseline = tmp_path / "baseline"
    code = main(["calibrate", str(spec), "--budget", "30s", "--baseline", str(baseline),
                 "--data", str(tiny_folder), "--pilot-seeds", "2", "--baseline-seeds", "4",
                 "--jobs", "1"])
    assert code == 0
    out = capsys.readouterr().out
    assert "== tiny_rnn: pilot of 1 epoch(s), seed 1000-1001" in out
    assert "== tiny_rnn: pilot of 2 epoch(s), seed 1002-1003" in out
    report = (baseline / "tiny_rnn" / "calibration.md").read_text()
    assert report.startswith("# Calibration of tiny_rnn\n\n**The gate sees a drop of ")
    assert "A/A false-alarm rate" in report and "## Candidates" in report
    calibrated = load_spec(spec)
    ci = calibrated.ci
    assert ci.epochs in (1, 2) and ci.batch_size == 2 and ci.seeds >= 2
    gated = {k: v for k, v in ci.min_effect.model_dump().items() if v is not None}
    assert len(gated) == 1  # one gated metric: the one with the smallest detectable drop
    # the baseline holds the chosen schedule's runs only; the other pilot's runs moved aside
    runs = [json.loads(f.read_text()) for f in (baseline / "tiny_rnn" / "runs").glob("*.json")]
    assert len(runs) == 4 and {r["schedule"]["epochs"] for r in runs} == {ci.epochs}
    assert len(list((baseline / "tiny_rnn" / "pilot").glob("*.json"))) == 2
    text = spec.read_text()
    assert "# CI schedule written by harness calibrate --budget 30s" in text
    assert "the CI schedule: here the same two epochs" not in text  # the old comment went
    assert text.count("\nci:") == 1 and "reference:" in text
    # --extend adds runs of the schedule now written, and leaves the spec as it is
    assert main(["calibrate", str(spec), "--extend", "2", "--baseline", str(baseline),
                 "--data", str(tiny_folder), "--jobs", "1"]) == 0
    assert len(list((baseline / "tiny_rnn" / "runs").glob("*.json"))) == 6
    assert spec.read_text() == text
    # --extend 0: the report again, from the stored runs, without training
    assert main(["calibrate", str(spec), "--extend", "0", "--baseline", str(baseline)]) == 0
    assert len(list((baseline / "tiny_rnn" / "runs").glob("*.json"))) == 6
    report = (baseline / "tiny_rnn" / "calibration.md").read_text()
    assert f"{ci.seeds} seeds per CI run against 6 baseline runs" in report, report


def test_extend_needs_a_ci_section(tmp_path, capsys):
    assert main(["calibrate", "specs/imdb_gru.yaml", "--extend", "2", "--baseline",
                 str(tmp_path)]) == 2
    assert capsys.readouterr().err == ("error: specs/imdb_gru.yaml: --extend adds runs of the ci "
                                       "schedule; this spec has no ci section (calibrate it "
                                       "without --extend first)\n")


def test_a_ci_section_is_added_where_there_was_none_and_a_bad_one_is_not_written(tmp_path):
    spec = tmp_path / "gru.yaml"
    shutil.copy(ROOT / "specs" / "imdb_gru.yaml", spec)
    block = {"epochs": 1, "seeds": 4, "band": {"metric": "best_val_acc", "low": 0.7, "high": 0.9},
             "min_effect": {"best_val_acc": 0.02}}
    write_ci_section(spec, block, "written by the test")
    assert load_spec(spec).ci.seeds == 4
    assert spec.read_text().endswith("# written by the test\nci:\n  epochs: 1\n  seeds: 4\n"
                                     "  band: {metric: best_val_acc, low: 0.7, high: 0.9}\n"
                                     "  min_effect: {best_val_acc: 0.02}\n")
    before = spec.read_text()
    with pytest.raises(SpecError):
        write_ci_section(spec, {**block, "seeds": 0}, "broken")
    assert spec.read_text() == before and not list(tmp_path.glob(".*calibrate"))


def test_nothing_trains_when_a_spec_cannot_be_calibrated(tmp_path, capsys):
    # a folder of specs: the first bad one stops calibrate before any training
    code = main(["calibrate", "specs/imdb_simple_rnn.yaml", "specs/jena_gru.yaml",
                 "--baseline", str(tmp_path)])
    assert code == 2
    assert "specs/jena_gru.yaml: calibrate chooses among accuracy figures" in \
        capsys.readouterr().err
    assert not list(tmp_path.iterdir())
    # --extend 0 with nothing stored to report on
    assert main(["calibrate", "specs/imdb_simple_rnn.yaml", "--extend", "0", "--baseline",
                 str(tmp_path)]) == 2
    assert "--extend 0 reports on the stored runs" in capsys.readouterr().err
