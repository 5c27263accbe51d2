"""harness.bench end to end on the tiny hand-written reviews: every spec x device x mode is
measured or skipped with its reason, ratios are printed, results and report are written.

The speed figures of a model this small mean nothing; what is checked is the bookkeeping. The
real benchmarks are ``harness bench`` (tox -e bench) and tests/bench (pytest-benchmark, opt-in).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from support import DATA, GOOD, ROOT

from harness.bench import (
    BenchOptions,
    HarnessTraining,
    PlainKerasTraining,
    load_bench_data,
    run_bench,
)
from harness.cli import main
from harness.machine import device_statuses
from harness.results import load_results
from harness.spec import load_spec, parse_spec


def _bench(out: Path, modes: tuple[str, ...]):
    arch_only = parse_spec({"name": "arch_only", "model": {"input": {"shape": [4]}, "layers": [
        {"type": "Dense", "units": 1}]}}, "arch_only.yaml")
    options = BenchOptions(devices=("cpu", "gpu"), modes=modes, train_samples=None,
                           rounds=2, timed_epochs=1, latency_repeats=3,
                           latency_batch_sizes=(1, 2), matmul_n=256,
                           data=str(DATA / "aclImdb_tiny"),
                           out=str(out), reports=str(out / "none"))
    stream = io.StringIO()
    results = run_bench([load_spec(GOOD), arch_only], options, stream)
    return results, out, stream.getvalue()


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    """The Keras default mode only: XLA compilation would double this module's time."""
    return _bench(tmp_path_factory.mktemp("bench"), ("default",))


def test_every_spec_device_and_mode_is_measured_or_skipped(bench_run):
    results, out, _ = bench_run
    assert load_results(out / "results.json") == results
    assert results["kind"] == "bench"
    assert [(s["name"], s["status"]) for s in results["specs"]] == [
        ("tiny_rnn", "ok"), ("arch_only", "skipped")]
    gpu_there = device_statuses(["gpu"])[0].available
    keys = {(r["device"], r["mode"]): r for r in results["benchmarks"]}
    assert sorted(keys) == [("cpu", "default"), ("gpu", "default")]
    for mode in ("default",):
        rec = keys[("cpu", mode)]
        assert rec["status"] == "ok" and rec["jit_compile"] == (mode == "xla")
        train = rec["train"]
        # 4 reviews, validation_split 0.5: 2 train + 2 validation; 2 rounds of 1 timed epoch
        assert (train["train_samples"], train["val_samples"]) == (2, 2)
        assert len(train["epoch_time_s"]) == 2 and train["first_epoch_time_s"] > 0
        assert train["throughput_samples_per_s"] == 2 / train["median_epoch_time_s"]
        assert [i["batch_size"] for i in rec["inference"]] == [1, 2]
        assert all(0 < i["latency_ms_p50"] <= i["latency_ms_p95"] for i in rec["inference"])
        assert rec["memory"]["host_peak_rss_bytes"] > 0
        assert rec["flops"]["forward_per_sample"] == 2 * 8 * 3 * (4 + 3) + 2 * 3 * 1
        assert rec["flops"]["utilization"] > 0
    if not gpu_there:
        assert keys[("gpu", "default")] == {"spec": "tiny_rnn", "device": "gpu",
                                            "mode": "default", "status": "skipped",
                                            "reason": "no GPU visible"}


def test_ratios_are_printed_and_recorded(bench_run):
    results, _, printed = bench_run
    (comp,) = [c for c in results["comparisons"] if c["device"] == "cpu"]
    assert [t["variant"] + " " + t["mode"] for t in comp["trials"]] == [
        "plain default", "harness default"]
    assert all(len(t["timed_s"]) == len(t["epoch_time_s"]) == 2 for t in comp["trials"])
    plain, harness = comp["trials"]
    # only the harness saves a checkpoint and its run file after each epoch
    assert plain["epoch_save_s"] == [] and len(harness["epoch_save_s"]) == 2
    assert all(s > 0 for s in harness["epoch_save_s"])
    overhead = comp["overhead"]["default"]
    assert overhead["ratio_epochs"] > 0 and overhead["ratio_epochs_cpu_time"] > 0
    assert overhead["ratio_in_fit"] == pytest.approx(
        min(e + s for e, s in zip(harness["epoch_time_s"], harness["epoch_save_s"], strict=True))
        / min(plain["epoch_time_s"]))
    assert "tiny_rnn cpu: harness overhead (default): " in printed
    assert comp["speedup_xla_vs_plain_default"] is None  # no xla trials
    assert "== arch_only: skipped, architecture only (no train section)" in printed


@pytest.mark.slow
def test_both_modes_give_the_speed_up_ratio(tmp_path):
    results, _, printed = _bench(tmp_path, ("default", "xla"))
    (comp,) = [c for c in results["comparisons"] if c["device"] == "cpu"]
    assert [t["variant"] + " " + t["mode"] for t in comp["trials"]] == [
        "plain default", "plain xla", "harness default", "harness xla"]
    assert comp["speedup_xla_vs_plain_default"]["ratio"] > 0
    assert "tiny_rnn cpu: xla speed-up over the plain Keras script (Keras defaults): " in printed
    xla = next(r for r in results["benchmarks"] if (r["device"], r["mode"]) == ("cpu", "xla"))
    assert xla["jit_compile"] is True


def test_the_report_and_chart_are_written(bench_run):
    _, out, _ = bench_run
    text = (out / "report.md").read_text()
    assert text.startswith("# Benchmarks: ")
    for summary in ("Method", "Targets in detail", "Training", "Inference", "Memory",
                    "FLOPs and utilization", "cuDNN", "Environment"):
        assert f"<details><summary>{summary}</summary>" in text
    assert "](throughput.png)" in text
    assert "- not benched, architecture only (no train section): `arch_only`" in text
    assert (out / "throughput.png").read_bytes()[:4] == b"\x89PNG"


def test_results_record_paths_relative_to_the_project(bench_run, monkeypatch):
    """The spec and data paths a bench records are relative to the working directory (the
    project), or a file's name alone outside it: never absolute."""
    from harness.bench import portable_path, portable_source

    results, _, _ = bench_run
    tiny = results["specs"][0]
    for path in (tiny["path"], tiny["data"]["source"].partition(":")[2]):
        assert not Path(path).is_absolute() and "/work" not in path, path
    monkeypatch.chdir(ROOT)
    assert portable_path(GOOD) == "tests/data/specs/good_tiny.yaml"
    assert portable_source(f"archive:{ROOT}/../shared/x/reviews.tar.gz") == \
        "archive:reviews.tar.gz"
    assert portable_source("folder:tests/data/aclImdb_tiny") == "folder:tests/data/aclImdb_tiny"


def test_harness_and_plain_script_train_the_same_model_the_same_way():
    """Same seed, model, data and settings: identical weights after the warm-up epoch."""
    spec = load_spec(GOOD)
    data = load_bench_data(spec, str(DATA / "aclImdb_tiny"), None, 2)
    (cpu,) = device_statuses(["cpu"])
    harness, plain = HarnessTraining(spec, data, "default", cpu), \
        PlainKerasTraining(spec, data, "default", cpu)
    harness.setup()
    plain.setup()
    for a, b in zip(harness.trial.model.get_weights(), plain.trial.model.get_weights(),
                    strict=True):
        np.testing.assert_array_equal(a, b)
    # The harness side saves as `harness run` does: the run file after every epoch, and a
    # checkpoint after the first, then as 1% of the training time allows (not after an epoch
    # of 4 reviews).
    # the bench's clock counts the epoch inside fit, not the whole fit call
    before = harness.clock()
    wall = harness.timed(1)
    assert harness.clock() - before == pytest.approx(harness.trial.epoch_time_s[-1])
    assert harness.trial.epoch_time_s[-1] <= wall
    folder = Path(harness._folder.name)
    run_file = json.loads((folder / "run.json").read_text())
    assert run_file["epochs_done"] == 2 and run_file["checkpoint"] == {"epoch": 1}
    assert sorted(p.name for p in folder.iterdir()) == ["bench.epoch1.weights.h5", "run.json"]
    assert len(harness.trial.epoch_save_s) == 1 and harness._checkpoints.written_s


def test_bench_command_refuses_an_unknown_device(capsys):
    assert main(["bench", str(GOOD), "--devices", "cpu,tpu"]) == 2
    err = capsys.readouterr().err
    assert err == "error: --devices: unknown device tpu; use a comma-separated list of cpu, gpu\n"


def test_bench_refuses_more_training_reviews_than_the_data_has(capsys, tmp_path):
    tiny = DATA / "aclImdb_tiny"
    assert main(["bench", str(GOOD), "--data", str(tiny), "--train-samples", "5",
                 "--devices", "cpu", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.endswith(
        f"error: --train-samples 5: folder:{tiny} has only 4 training reviews; pass at most 4 or "
        "--full-epochs\n")
    assert not list(tmp_path.iterdir())


def test_bench_help_states_the_defaults_of_bench_options(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    defaults = BenchOptions()
    assert f"(default: {defaults.train_samples})" in text
    assert f"per variant (default: {defaults.rounds})" in text
    assert f"in each round (default: {defaults.timed_epochs})" in text
    assert f"per batch size (default: {defaults.latency_repeats})" in text
