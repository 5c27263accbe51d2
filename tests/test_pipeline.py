"""harness run on bad input: every case stops with one line naming the file or value and what
to do, a non-zero exit code, no traceback, and no file left half-written (or at all, when the
problem is known before training)."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest
from support import BAD_SPECS, GOOD, ROOT, SPECS, TINY


def _run(harness, spec, out, *extra):
    return harness("run", spec, "--data", TINY, "--out", out, *extra)


# --- specs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "message"), BAD_SPECS, ids=[b[0] for b in BAD_SPECS])
def test_every_bad_spec_stops_run_before_anything(harness, tmp_path, name, message):
    result = _run(harness, SPECS / name, tmp_path / "out")
    assert result.code == 2
    assert result.error.startswith(f"error: {SPECS / name}: ") and message in result.error
    assert not (tmp_path / "out").exists()


def test_two_specs_with_one_name_stop_run(harness, tmp_path):
    result = harness("run", GOOD, SPECS / "bad_same_name.yaml", "--out", tmp_path / "out")
    assert result.code == 2
    assert "name: 'tiny_rnn' is already the name of" in result.error
    assert not (tmp_path / "out").exists()


# --- data --------------------------------------------------------------------------------------


def _tiny_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "reviews"
    shutil.copytree(TINY, folder)
    return folder


def _no_layout(tmp_path):
    (tmp_path / "reviews").mkdir()
    (tmp_path / "reviews" / "notes.txt").write_text("no train/ or test/ here")
    return tmp_path / "reviews", ("no reviews in train/pos, train/neg, test/pos, test/neg; "
                                  "expected the Stanford layout")


def _empty_pos(tmp_path):
    folder = _tiny_copy(tmp_path)
    for review in (folder / "aclImdb/train/pos").iterdir():
        review.unlink()
    return folder, "no reviews in train/pos; expected the Stanford layout"


def _not_utf8(tmp_path):
    folder = _tiny_copy(tmp_path)
    (folder / "aclImdb/test/pos/4_10.txt").write_bytes(b"Good \xe9\xff acting.")
    return folder, "aclImdb/test/pos/4_10.txt: review is not UTF-8 (byte 5); the Stanford archive"


def _truncated(tmp_path):
    import tarfile

    whole = tmp_path / "whole.tar.gz"
    with tarfile.open(whole, "w:gz") as tar:
        tar.add(TINY / "aclImdb", arcname="aclImdb")
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole.read_bytes()[:300])
    return cut, "not a readable .tar.gz archive, it is corrupt or truncated ("


def _not_an_archive(tmp_path):
    bad = tmp_path / "aclImdb_v1.tar.gz"
    bad.write_bytes(b"<html>404 Not Found</html>")
    return bad, ("not a readable .tar.gz archive, it is corrupt or truncated (file could not be "
                 "opened successfully); download it again")


def _missing(tmp_path):
    return tmp_path / "aclImdb_v1.tar.gz", "no such file or directory; pass --data PATH"


@pytest.mark.parametrize("case", [_missing, _not_an_archive, _truncated, _no_layout,
                                  _empty_pos, _not_utf8],
                         ids=["missing", "not-an-archive", "truncated", "no-layout", "empty-pos",
                              "not-utf8"])
def test_bad_data_stops_run_before_anything(harness, tmp_path, case):
    data, message = case(tmp_path)
    out = tmp_path / "out"
    result = harness("run", GOOD, "--data", data, "--out", out)
    assert result.code == 1
    assert result.error.startswith(f"error: {data}: ") and message in result.error
    assert not out.exists()


def test_no_data_and_no_network_names_the_data_option(harness, tmp_path, monkeypatch):
    import keras

    def offline(*args, **kwargs):
        raise OSError("[Errno 101] Network is unreachable")

    monkeypatch.delenv("HARNESS_IMDB_DATA", raising=False)
    monkeypatch.setattr(keras.datasets.imdb, "load_data", offline)
    result = harness("run", GOOD, "--out", tmp_path / "out")
    assert result.code == 1
    assert result.error.startswith("error: no IMDB data: keras.datasets.imdb could not download "
                                   "imdb.npz (OSError: [Errno 101] Network is unreachable); pass "
                                   "--data PATH (or set HARNESS_IMDB_DATA)")
    assert not (tmp_path / "out").exists()


# --- output folder -----------------------------------------------------------------------------


def test_out_inside_a_file(harness, tmp_path, files_under):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    result = _run(harness, GOOD, blocker / "reports")
    assert result.code == 2
    assert result.error == (f"error: {blocker}/reports/tiny_rnn: cannot be an output folder: "
                            f"{blocker} is a file, not a folder; pass --out DIR")
    assert files_under(tmp_path) == ["a_file"]


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux's read-only /sys")
def test_runs_folder_that_cannot_be_written_is_refused_before_training(harness, tmp_path,
                                                                       monkeypatch):
    import harness.pipeline.preflight as pipeline

    runs = tmp_path / "out" / "tiny_rnn" / "runs"
    runs.mkdir(parents=True)
    real = pipeline.tempfile.TemporaryFile

    def temporary_file(*args, dir=None, **kwargs):  # runs/ as if read-only (chattr +i)
        if Path(dir) == runs:
            raise PermissionError(errno.EPERM, "Operation not permitted")
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(pipeline.tempfile, "TemporaryFile", temporary_file)
    result = _run(harness, GOOD, tmp_path / "out")
    assert result.code == 2
    assert result.error == (f"error: {runs}: output folder is not writable (Operation not "
                            "permitted); pass --out DIR")
    assert "epoch 1" not in result.out and not list(runs.iterdir())


def test_out_on_a_read_only_file_system(harness):
    # /sys refuses new files even to root (the tests may run as root, where chmod does nothing).
    result = _run(harness, GOOD, "/sys/harness-reports")
    assert result.code == 2
    assert result.error.startswith("error: /sys/harness-reports/tiny_rnn: output folder is not "
                                   "writable (")
    assert result.error.endswith("); pass --out DIR")


@pytest.mark.parametrize(("option", "what"), [("--train-samples", "training"),
                                              ("--test-samples", "test")])
def test_more_samples_than_the_data_has_is_refused(harness, tmp_path, option, what):
    result = _run(harness, GOOD, tmp_path / "out", option, "5")
    assert result.code == 2
    assert result.error == (f"error: {option} 5: folder:{TINY} has only 4 {what} reviews; pass "
                            "at most 4 or leave the option out")
    assert "epoch 1" not in result.out and not (tmp_path / "out").exists()


def test_full_disk_is_refused_before_training(harness, tmp_path, monkeypatch):
    import harness.pipeline.preflight as pipeline

    def almost_full(path):
        return shutil._ntuple_diskusage(10 << 30, (10 << 30) - 1_000_000, 1_000_000)

    monkeypatch.setattr(pipeline.shutil, "disk_usage", almost_full)
    result = _run(harness, GOOD, tmp_path / "out")
    assert result.code == 2
    assert result.error == (f"error: {tmp_path}/out/tiny_rnn: 1.0 MB free on its disk, this run "
                            "needs about 4.2 MB (checkpoints, results, report); free some space "
                            "or pass --out DIR on another disk")
    assert "epoch 1" not in result.out
    assert not (tmp_path / "out").exists()


def test_disk_full_during_training_leaves_only_whole_files(harness, tmp_path, monkeypatch,
                                                           files_under):
    # The disk fills up while the checkpoint of epoch 2 is written: that write fails cleanly,
    # the run file of epoch 1 stays whole and valid, and no temp file is left.
    real_fsync = os.fsync
    writes = []

    def fsync(fd):
        name = os.readlink(f"/proc/self/fd/{fd}")
        if ".weights.h5" in name:
            writes.append(name)
            if len(writes) == 2:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    out = tmp_path / "out"
    result = _run(harness, GOOD, out, "--mode", "default", "--checkpoint-every-epoch")
    assert result.code == 1
    assert result.error.startswith(f"error: {out}/tiny_rnn/runs/")
    assert ".epoch2.weights.h5: cannot write the checkpoint (No space left on device); free some" \
           f" space, then 'harness run {GOOD} --resume --out {out}' goes on" in result.error
    files = files_under(out)
    assert not [f for f in files if ".tmp" in f], files
    (run_file,) = [out / f for f in files if f.endswith(".json")]
    doc = json.loads(run_file.read_text())
    assert (doc["status"], doc["epochs_done"], doc["checkpoint"]) == ("running", 1, {"epoch": 1})
    assert (run_file.with_suffix("").name + ".epoch1.weights.h5") in {Path(f).name for f in files}


# --- training verdicts -------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "reason"), [
    ("xla", "loss became nan at epoch 1, batch 2; training stopped (lower the learning rate or "
            "check the data)"),
    # Without XLA the NaN weights make TensorFlow's RMSprop update fail before the loss is seen.
    ("default", "weights became NaN or infinite in epoch 1 and TensorFlow stopped "
                "(InvalidArgumentError: indices["),
])
def test_nan_loss(harness, tmp_path, mode, reason):
    out = tmp_path / "out"
    result = _run(harness, SPECS / "nan_loss_tiny.yaml", out, "--mode", mode)
    assert result.code == 1
    assert result.error.startswith(f"error: tiny_nan: {reason}")
    assert "lower the learning rate or check the data" in result.error
    assert f"; partial results in {out}/tiny_nan/runs/" in result.error
    (run_file,) = (out / "tiny_nan" / "runs").glob("*.json")
    doc = json.loads(run_file.read_text())
    assert doc["status"] == "nan_loss" and doc["epochs_done"] == 0
    assert not (out / "tiny_nan" / "results.json").exists()  # never published as the latest


def test_token_index_out_of_range(harness, tmp_path):
    result = _run(harness, SPECS / "token_range_tiny.yaml", tmp_path / "out")
    assert result.code == 1
    assert result.error == (f"error: {SPECS / 'token_range_tiny.yaml'}: data contract: "
                            "x_train[3] holds token index 17 >= model.layers[0] (Embedding) "
                            "input_dim 10; set data.num_words <= input_dim")
    assert not (tmp_path / "out").exists()


def test_gpu_requested_where_there_is_none(harness, tmp_path):
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("a GPU is visible here")
    result = _run(harness, GOOD, tmp_path / "out", "--device", "gpu")
    assert result.code == 2
    assert result.error.startswith(f"error: --device gpu: TensorFlow {tf.__version__} ")
    if tf.sysconfig.get_build_info().get("cuda_version"):
        assert "sees no GPU; check that nvidia-smi lists one and that CUDA_VISIBLE_DEVICES does " \
               "not hide it, or run with --device cpu" in result.error
    else:
        assert "is a build without CUDA; install the CUDA build" in result.error
    assert result.error.endswith(", or run with --device cpu")
    assert not (tmp_path / "out").exists()


@pytest.mark.gpu
def test_gpu_run_records_the_gpu(harness, tmp_path):
    import tensorflow as tf

    if not tf.config.list_physical_devices("GPU"):
        pytest.skip("no GPU visible to TensorFlow")
    out = tmp_path / "out"
    result = _run(harness, GOOD, out, "--device", "gpu", "--mode", "default")
    assert result.code == 0, result.err
    doc = json.loads((out / "tiny_rnn" / "results.json").read_text())
    assert doc["execution"]["device"] != "cpu" and doc["environment"]["gpus"]


def test_tensorflow_error_in_training(harness, tmp_path, monkeypatch):
    import keras
    import tensorflow as tf

    def fail(self, *args, **kwargs):
        raise tf.errors.ResourceExhaustedError(
            None, None, "Graph execution error:\n\n  File x\nOOM when allocating tensor "
            "with shape[128,500,32]\n\t [[{{node embedding/GatherV2}}]]")

    monkeypatch.setattr(keras.Model, "fit", fail)
    out = tmp_path / "out"
    result = _run(harness, GOOD, out, "--mode", "default")
    assert result.code == 1
    assert result.error.startswith(
        "error: tiny_rnn: TensorFlow stopped training in epoch 1: ResourceExhaustedError: OOM "
        "when allocating tensor with shape[128,500,32] (op embedding/GatherV2); the finished "
        f"epochs are kept in {out}/tiny_rnn/runs/")
    assert result.error.endswith(f"fix the cause, then 'harness run {GOOD} --resume --out {out}' "
                                 "goes on from there (--debug for more)")


# --- what results record ------------------------------------------------------------------------


def test_results_name_files_relative_to_the_project_or_by_name(harness, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    outside = tmp_path / "datasets" / "reviews"  # data outside the project
    shutil.copytree(TINY, outside)
    inside = _run(harness, GOOD.resolve(), tmp_path / "out", "--mode", "default")
    assert inside.code == 0, inside.err
    result = harness("run", GOOD.resolve(), "--data", outside, "--out", tmp_path / "out",
                     "--mode", "default")
    assert result.code == 0, result.err
    text = (tmp_path / "out" / "tiny_rnn" / "results.json").read_text()
    doc = json.loads(text)
    assert doc["spec"]["path"] == "tests/data/specs/good_tiny.yaml"
    assert doc["options"]["data"] == "reviews"
    assert doc["data"]["source"] == "folder:reviews" and len(doc["data"]["checksum"]) == 64
    assert doc["data"]["x_dtype"] == "int32"
    assert str(tmp_path) not in text and str(ROOT) not in text
    report = (tmp_path / "out" / "tiny_rnn" / "report.md").read_text()
    assert str(tmp_path) not in report and "input dtype `int32`" in report
    # data inside the project (the first run): relative to it
    docs = [json.loads(p.read_text()) for p in (tmp_path / "out" / "tiny_rnn" / "runs").glob(
        "*.json")]
    assert sorted(d["data"]["source"] for d in docs) == ["folder:reviews",
                                                         "folder:tests/data/aclImdb_tiny"]
