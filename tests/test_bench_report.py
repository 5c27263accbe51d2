"""harness.bench.report: the benchmark report from hand-written results and pytest-benchmark JSON,
pinned by a golden file and by the layout's rules (headline first and on one screen, one line per
missing device, no absolute or outside paths, short lines, linear chart axes, one figure per
measurement); a real pytest-benchmark JSON file round-trips into it."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
import warnings

import pytest
from support import DATA, ROOT

from harness.bench import EPOCH_CLOCK
from harness.bench.report import (
    MAX_LINE,
    bench_chart,
    chart_figure,
    load_pytest_benchmark,
    render_bench_report,
    write_bench_report,
)
from harness.cli import main
from harness.errors import ResultsError
from harness.results import load_results, write_json_atomic

BENCH = DATA / "bench"
PYTEST_JSON = "tests/data/bench/pytest_benchmark.json"  # as the report names it from the root
# an absolute path (/work/..., /home/..., C:\...) anywhere in a line; not "a / b" or "x/y"
ABSOLUTE = re.compile(r"(?<![\w.)\]])/(?:[\w.-]+/)+[\w.-]*|\b[A-Z]:\\")


# Reports name files relative to the working directory: run from the project's root.
pytestmark = pytest.mark.usefixtures("at_root")


def _results():
    return load_results(BENCH / "results.json")


def _golden() -> str:
    return render_bench_report(_results(), load_pytest_benchmark(BENCH / "pytest_benchmark.json"))


def _block(text: str, section: str) -> str:
    """The text of a folded ``<details>`` block, or of a ``### section`` inside one."""
    if f"<details><summary>{section}</summary>" in text:
        return text.split(f"<details><summary>{section}</summary>\n")[1].split("</details>")[0]
    return text.split(f"### {section}\n")[1].split("\n### ")[0].split("</details>")[0]


def _rows(text: str, section: str | None = None) -> list[list[str]]:
    """The cells of every table row of a block (header rows included); the headline's when
    ``section`` is None (everything before the first ``<details>``)."""
    body = text.split("<details>")[0] if section is None else _block(text, section)
    return [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in body.splitlines() if line.startswith("|") and "---" not in line]


def test_report_matches_the_golden_file():
    assert _golden() == (BENCH / "report.md").read_text()


def test_the_report_leads_with_the_headline_table_on_one_screen():
    text = _golden()
    lines = text.splitlines()
    assert lines[0] == "# Benchmarks: the first 500 IMDB training reviews, on CPU"
    first_table = next(i for i, line in enumerate(lines) if line.startswith("|"))
    assert first_table <= 4  # the title and one short line of when and where, no paragraph
    assert all(len(line) <= 200 for line in lines[:first_table])
    assert lines[first_table].startswith("| spec ") and "xla speed-up over plain Keras" in \
        lines[first_table]
    before_details = lines[:lines.index("<details><summary>Method</summary>")]
    assert len(before_details) <= 40
    assert not any(line.startswith("## ") for line in before_details)
    # the method and every long table are folded below it
    for summary in ("Method", "Targets in detail", "Training", "Inference", "Memory",
                    "FLOPs and utilization", "cuDNN", "Environment"):
        assert f"<details><summary>{summary}</summary>" in text
    assert text.count("<details>") == text.count("</details>")
    assert _rows(text)[1:] == [
        ["tiny_lstm", "cpu", "4.00", "2.00", "2.00 (met)", "1.015 / 0.805 (met)",
         "no full run committed", "-", "-"],
        ["tiny_rnn", "cpu", "2.00", "1.00", "2.00 (met)", "1.055 / 1.005 (NOT met: default)",
         "best_val_acc 0.8500 / 0.8600", "[0.80, 0.90]", "yes"],
    ]


def test_a_missing_device_is_one_line_not_columns_of_skipped_cells():
    text = _golden()
    assert ("- gpu: not measured: no GPU visible (tf.config.list_physical_devices('GPU') is "
            "empty)") in text.split("<details>")[0]
    assert "skipped" not in text
    assert "CPU vs GPU" not in text  # a comparison with nothing on one side
    for line in text.splitlines():
        if line.startswith("|"):
            assert "gpu" not in line, line
    assert "GPU" not in _rows(text, "cuDNN")[0][-1]


def test_a_measured_gpu_gets_its_rows_and_the_cpu_vs_gpu_table():
    results = _results()
    gpu = next(d for d in results["devices"] if d["device"] == "gpu")
    gpu.update(status="ok", reason=None, detail=None)
    for rec in results["benchmarks"]:
        if rec["device"] == "gpu":
            cpu = next(r for r in results["benchmarks"] if (r["spec"], r["device"], r["mode"])
                       == (rec["spec"], "cpu", rec["mode"]))
            rec.clear()
            rec.update(copy.deepcopy(cpu), device="gpu", tf_device="/GPU:0")
            rec["train"]["median_epoch_time_s"] /= 4
    text = render_bench_report(results)
    assert "- gpu: not measured" not in text
    assert _rows(text, "CPU vs GPU")[1] == ["tiny_lstm", "default", "4.00", "1.00", "4.00"]
    assert _rows(text, "cuDNN")[0][-2:] == ["kernel (cpu)", "kernel (gpu)"]


def test_no_absolute_path_no_outside_file_and_no_long_line():
    for text in (_golden(), (ROOT / "reports" / "bench" / "report.md").read_text(),
                 (ROOT / "reports" / "bench" / "full" / "report.md").read_text()):
        assert not ABSOLUTE.findall(text)
        assert "../" not in text and "shared/" not in text
        assert max(len(line) for line in text.splitlines()) <= MAX_LINE
    assert ABSOLUTE.findall("archive /work/shared/x.tar.gz")  # the pattern does find them
    assert not ABSOLUTE.findall("default / xla, harness/bench.py, p50 (ms)")


def test_a_figure_from_another_run_names_its_file_and_date():
    head = _golden().split("<details>")[0]
    assert ("- accuracy, not measured by the bench: ours is each spec's committed full run "
            "(another run, all 25,000 reviews), beside the published figure:\n"
            "  - `tiny_rnn`: `reports/tiny_rnn/results.json` "
            "(2026-01-01 10:00 UTC, `xla`, 10 epochs); published: "
            "fchollet/deep-learning-with-python-notebooks, first_edition/"
            "6.2-understanding-recurrent-neural-networks.ipynb (first edition, Keras 2.0.8), "
            "cells 9, 11") in head


def test_one_figure_per_measurement():
    """The headline's epoch times are the Training table's; a pytest-benchmark run is named with
    its time, and how far it is from this run, never its figures beside these."""
    text = _golden()
    training = {(r[0], r[1], r[2]): r[5] for r in _rows(text, "Training")[1:]}
    for row in _rows(text)[1:]:
        assert (row[2], row[3]) == (training[(row[0], row[1], "default")],
                                    training[(row[0], row[1], "xla")])
    line = next(x for x in text.splitlines() if x.startswith("- pytest-benchmark: "))
    assert line.startswith(f"- pytest-benchmark: `{PYTEST_JSON}` is a separate run "
                           "(2026-01-02 03:10 UTC, commit abcdef123456); its train epochs time "
                           "whole `fit` calls")
    data = load_pytest_benchmark(BENCH / "pytest_benchmark.json")
    data["benchmarks"][0]["extra_info"]["clock"] = EPOCH_CLOCK
    data["benchmarks"][0]["stats"]["median"] = 1.0713  # this run's: 1.00
    text = render_bench_report(_results(), data)
    lines = text.splitlines()
    at = next(i for i, x in enumerate(lines) if x.startswith("- pytest-benchmark: "))
    assert lines[at].endswith("of the same measurement (the harness's epoch clock); its figures "
                              "are not repeated here")
    assert lines[at + 1] == ("  - its train-epoch medians (1) differ from this run's by 7% "
                             "(median), at most 7% (tiny_rnn cpu xla)")
    assert "1.07" not in text and "## pytest-benchmark" not in text


def test_the_chart_has_linear_axes_from_zero():
    import matplotlib.pyplot as plt

    for results in (_results(), {**_results(), "settings": {**_results()["settings"],
                                                           "full_epochs": True}}):
        fig = chart_figure(results)
        try:
            for ax in fig.axes:
                assert ax.get_yscale() == "linear" and ax.get_xscale() == "linear"
                assert ax.get_ylim()[0] == 0
        finally:
            plt.close(fig)


def test_targets_read_the_ratios():
    text = render_bench_report(_results())
    rows = [r for r in _rows(text, "Harness overhead (harness / plain script, same mode)")
            + _rows(text, "`xla` against the plain script with Keras defaults")
            if r[0] != "spec"]
    # overhead, best rounds: tiny_rnn default is 2.1 / 2.0 = 1.05 > 1.03, the others within
    # per epoch inside fit, the harness's saving after the epoch included (its fastest epoch
    # + save: 3.837 + 0.02 against the plain script's 3.80)
    assert [(r[0], r[2], r[3], r[4], r[5], r[-1]) for r in rows[:4]] == [
        ("tiny_lstm", "default", "3.80", "3.86", "1.015", "yes"),
        ("tiny_lstm", "xla", "2.40", "1.93", "0.805", "yes"),
        ("tiny_rnn", "default", "1.90", "2.00", "1.055", "NO"),
        ("tiny_rnn", "xla", "0.90", "0.90", "1.005", "yes")]
    # the run's noise: the plain script's slowest round over its fastest (4.6 / 4.0), where the
    # results keep its rounds
    assert [r[-3] for r in rows[:4]] == ["1.150", "1.000", "-", "-"]
    # speed-up: best plain default epoch / best harness xla epoch (its fastest timed epoch),
    # with the committed full run's accuracy beside it
    assert [r[6] for r in rows[:4]] == ["1.010", "0.800", "1.050", "1.000"]  # whole fit calls
    assert rows[4] == ["tiny_lstm", "cpu", "3.80", "1.90", "2.00", "2.00", ">= 1.5", "yes"]
    assert rows[5] == ["tiny_rnn", "cpu", "1.90", "0.95", "2.00", "2.00", ">= 1.5", "yes"]


def test_cudnn_table_and_utilization():
    text = render_bench_report(_results())
    assert _rows(text, "cuDNN")[1:] == [["tiny_lstm", "lstm (LSTM)", "yes", "-", "generic"]]
    # (3 * 250,000 * 400 + 250,000 * 100) FLOPs / 1.0 s = 0.325 GFLOP/s of 200 GFLOP/s
    flops = _rows(text, "FLOPs and utilization")
    assert ["tiny_rnn", "cpu", "xla", "250,000", "750,000", "0.33", "200.0", "0.16"] in flops


def test_a_bench_without_xla_has_no_speed_up_rows():
    results = copy.deepcopy(_results())
    for comp in results["comparisons"]:
        comp["speedup_xla_vs_plain_default"] = None
    assert "No `xla` trials ran." in render_bench_report(results)


def test_write_bench_report_draws_the_chart(tmp_path):
    path = write_bench_report(_results(), tmp_path)
    assert path == tmp_path / "report.md"
    png = (tmp_path / "throughput.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10000
    assert ("![Epoch time per spec and mode, and the xla speed-up (linear axes from zero)]"
            "(throughput.png)") in path.read_text()


def test_report_command_renders_bench_results_with_the_pytest_json(tmp_path, capsys):
    code = main(["report", str(BENCH / "results.json"), "--benchmark-json",
                 str(BENCH / "pytest_benchmark.json"), "--out", str(tmp_path)])
    assert code == 0
    assert (tmp_path / "report.md").read_text() == (BENCH / "report.md").read_text()


def test_re_rendering_a_bench_report_keeps_its_pytest_benchmark_line(tmp_path):
    # the file the results name, else pytest-benchmark.json beside them
    results = _results()
    results["settings"]["benchmark_json"] = PYTEST_JSON
    (tmp_path / "named").mkdir()
    write_json_atomic(tmp_path / "named" / "results.json", results)
    assert main(["report", str(tmp_path / "named" / "results.json")]) == 0
    assert (tmp_path / "named" / "report.md").read_text() == (BENCH / "report.md").read_text()
    (tmp_path / "beside").mkdir()
    write_json_atomic(tmp_path / "beside" / "results.json", _results())
    shutil.copy(BENCH / "pytest_benchmark.json", tmp_path / "beside" / "pytest-benchmark.json")
    assert main(["report", str(tmp_path / "beside" / "results.json")]) == 0
    text = (tmp_path / "beside" / "report.md").read_text()
    # outside the project, a file is named by its name alone, never its absolute path
    assert "- pytest-benchmark: `pytest-benchmark.json` is a separate run" in text
    assert text == (BENCH / "report.md").read_text().replace(PYTEST_JSON,
                                                             "pytest-benchmark.json")
    (tmp_path / "none").mkdir()
    write_json_atomic(tmp_path / "none" / "results.json", _results())
    assert main(["report", str(tmp_path / "none" / "results.json")]) == 0
    assert "- pytest-benchmark:" not in (tmp_path / "none" / "report.md").read_text()


def test_report_command_with_a_pytest_json_alone(tmp_path):
    assert main(["report", "--benchmark-json", str(BENCH / "pytest_benchmark.json"),
                 "--out", str(tmp_path)]) == 0
    text = (tmp_path / "report.md").read_text()
    assert "## pytest-benchmark" in text and "test_train_epoch[tiny_rnn-cpu-xla]" in text
    assert not (tmp_path / "throughput.png").exists()


def test_report_command_without_inputs_is_a_usage_error(capsys):
    assert main(["report"]) == 2
    assert capsys.readouterr().err.startswith("error: report: give a RESULTS_JSON file")


@pytest.mark.parametrize("text, message", [
    ('{"benchmarks": [', "line 1, column 17: broken JSON"),
    ('{"schema_version": 1}', "not a pytest-benchmark JSON file (no 'benchmarks' list)"),
])
def test_bad_pytest_benchmark_files(tmp_path, text, message):
    path = tmp_path / "b.json"
    path.write_text(text)
    with pytest.raises(ResultsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_pytest_benchmark(path)


def test_a_real_pytest_benchmark_json_round_trips_into_the_report(tmp_path):
    """Write a benchmark JSON with the installed pytest-benchmark, then render it."""
    (tmp_path / "test_tiny.py").write_text(
        "def test_sum(benchmark):\n"
        "    benchmark.extra_info.update(spec='tiny_rnn', device='cpu', mode='xla',\n"
        "                                measure='sum', samples_per_s=123.0)\n"
        "    assert benchmark(sum, range(100)) == 4950\n"
    )
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         "--rootdir", str(tmp_path), "--benchmark-min-rounds=3", "--benchmark-max-time=0.01",
         f"--benchmark-json={out}", str(tmp_path / "test_tiny.py")],
        capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = load_pytest_benchmark(out)
    assert json.loads(out.read_text())["benchmarks"][0]["extra_info"]["samples_per_s"] == 123.0
    section = render_bench_report(None, data).split("## pytest-benchmark")[1]
    row = next(line for line in section.splitlines() if line.startswith("| test_sum"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:5] == ["test_sum", "tiny_rnn", "cpu", "xla", "sum"]
    assert float(cells[5]) >= 0 and int(cells[7]) >= 3 and cells[8] == "123"


def test_a_bench_results_file_is_checked_against_its_own_schema(tmp_path):
    from harness.results import write_json_atomic

    broken = copy.deepcopy(_results())
    del broken["benchmarks"][0]["status"]
    path = write_json_atomic(tmp_path / "results.json", broken)
    with pytest.raises(ResultsError, match=r"benchmarks\[0\]\.status: field required"):
        load_results(path)


def test_a_full_epoch_bench_says_so_and_a_slice_estimates_nothing():
    slice_text = render_bench_report(_results())
    assert "- on this slice the speed-up reads lower than on full epochs" in slice_text
    assert "estimat" not in slice_text  # a full epoch is measured (full/report.md), not guessed
    results = _results()
    results["settings"]["full_epochs"] = True
    text = render_bench_report(results)
    assert text.startswith("# Benchmarks: full epochs (all 25,000 IMDB training reviews), on CPU")
    assert "- data: full epochs: all 25,000 training reviews of the real IMDB set" in text
    assert "on this slice" not in text


def test_a_chart_with_every_device_skipped_draws_without_warnings():
    results = _results()
    for record in results["benchmarks"]:
        record.update(status="skipped", reason="no GPU visible")
    results["comparisons"] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns on a legend without artists
        assert bench_chart(results)[:4] == b"\x89PNG"
