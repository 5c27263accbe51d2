"""Stopped, resumed and concurrent runs: nothing that finished is lost, nothing is half-written.

Interrupts are sent mid-epoch (SIGINT or SIGTERM at the first batch of epoch 2) from inside the
process, deterministically, or from outside with ``kill`` once epoch 1 is printed.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from support import DATA, GOOD, ROOT, TINY

from harness.runs import RunFile, find_resumable, run_summaries
from harness.spec import load_spec


def _stop_mid_epoch(monkeypatch, epoch: int, signum: int) -> None:
    """Make training send ``signum`` to this process at the first batch of ``epoch``."""
    import harness.train as train

    make = train._make_recorder

    def recorder_that_stops(*args, **kwargs):
        recorder = make(*args, **kwargs)

        class Stopper(type(recorder)):
            def on_epoch_begin(self, e, logs=None):
                self.epoch_now = e + 1
                super().on_epoch_begin(e, logs)

            def on_train_batch_begin(self, batch, logs=None):
                if self.epoch_now == epoch and batch == 0:
                    signal.raise_signal(signum)

        recorder.__class__ = Stopper
        return recorder

    monkeypatch.setattr(train, "_make_recorder", recorder_that_stops)


def _stopped_run(harness, monkeypatch, out: Path, epoch: int, signum: int = signal.SIGINT):
    """``harness run`` of the tiny spec for 3 epochs, stopped by ``signum`` in ``epoch``."""
    _stop_mid_epoch(monkeypatch, epoch=epoch, signum=signum)
    stopped = harness("run", GOOD, "--data", TINY, "--out", out, "--mode", "default",
                      "--epochs", "3")
    monkeypatch.undo()
    return stopped


def _only_run_file(out: Path) -> Path:
    (run_file,) = (out / "tiny_rnn" / "runs").glob("*.json")
    return run_file


def test_interrupted_run_keeps_its_epochs_and_resumes(harness, tmp_path, monkeypatch,
                                                      files_under):
    # SIGTERM takes the same path; test_sigterm_from_outside sends it with kill.
    out = tmp_path / "out"
    stopped = _stopped_run(harness, monkeypatch, out, epoch=2)
    assert stopped.code == 130
    run_file = _only_run_file(out)
    assert stopped.error == (
        f"error: tiny_rnn: interrupted by SIGINT after 1 of 3 epochs; the finished epochs are kept"
        f" in {run_file}; 'harness run {GOOD} --resume --out {out}' goes on from there")
    doc = json.loads(run_file.read_text())
    assert (doc["status"], doc["epochs_done"], doc["checkpoint"]) == ("interrupted", 1,
                                                                      {"epoch": 1})
    assert len(doc["history"]["loss"]) == 1
    run_id = doc["run_id"]
    assert files_under(out / "tiny_rnn") == sorted([
        f"runs/{run_id}.json", f"runs/{run_id}.epoch1.weights.h5", f"runs/{run_id}/report.md",
        f"runs/{run_id}/accuracy.png", f"runs/{run_id}/loss.png"])  # no results.json: incomplete

    # --resume takes --data, --mode and --epochs from the run file.
    resumed = harness("run", GOOD, "--out", out, "--resume")
    assert resumed.code == 0, resumed.err
    assert f"resume: run {run_id} from epoch 1 of 3" in resumed.out
    assert "epoch 1/3" not in resumed.out and "epoch 3/3" in resumed.out
    results = json.loads((out / "tiny_rnn" / "results.json").read_text())
    assert (results["run_id"], results["status"], results["epochs_done"]) == (run_id, "complete", 3)
    assert results["history"]["loss"][0] == doc["history"]["loss"][0]
    assert results["resumed"][0]["from_status"] == "interrupted"
    assert results["resumed"][0]["at_epoch"] == 1
    assert files_under(out / "tiny_rnn") == [".harness.lock", "accuracy.png", "loss.png",
                                             "report.md", "results.json", f"runs/{run_id}.json"]
    assert "resumed at epoch 1" in (out / "tiny_rnn" / "report.md").read_text()

    # Weights and optimizer state were restored: the same 3 epochs without a stop give the same
    # losses (both training samples are one batch, so the shuffle does not change the gradient).
    whole = harness("run", GOOD, "--data", TINY, "--out", tmp_path / "whole", "--mode", "default",
                    "--epochs", "3")
    assert whole.code == 0
    uninterrupted = json.loads((tmp_path / "whole" / "tiny_rnn" / "results.json").read_text())
    assert results["history"]["loss"] == pytest.approx(uninterrupted["history"]["loss"],
                                                       rel=1e-5)


def test_a_run_stopped_between_checkpoints_resumes_from_the_newest(harness, tmp_path,
                                                                   monkeypatch):
    # Epochs of 4 reviews are far shorter than 100 checkpoint writes: only epoch 1 gets one.
    out = tmp_path / "out"
    stopped = _stopped_run(harness, monkeypatch, out, epoch=3)
    assert stopped.code == 130
    assert stopped.error.endswith(f"'harness run {GOOD} --resume --out {out}' goes on from its "
                                  "last checkpoint, after epoch 1")
    doc = json.loads(_only_run_file(out).read_text())
    assert (doc["epochs_done"], doc["checkpoint"]) == (2, {"epoch": 1})
    assert len(doc["history"]["loss"]) == 2  # the history keeps both finished epochs
    resumed = harness("run", GOOD, "--out", out, "--resume")
    assert resumed.code == 0, resumed.err
    assert f"resume: run {doc['run_id']} from epoch 1 of 3" in resumed.out
    assert "epoch 2/3" in resumed.out and "epoch 3/3" in resumed.out


def test_sigterm_from_outside(harness, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "run", str(GOOD), "--data", str(TINY), "--out",
         str(out), "--mode", "default", "--epochs", "3"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.startswith("epoch 1/3"):
            proc.send_signal(signal.SIGTERM)
            break
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    errors = [ln for ln in err.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in err
    # The signal waits until epoch 1's checkpoint and run file are written, then stops epoch 2.
    assert errors[0].startswith("error: tiny_rnn: interrupted by SIGTERM after 1 of 3 epochs")
    doc = json.loads(_only_run_file(out).read_text())
    assert (doc["status"], doc["epochs_done"], doc["checkpoint"]) == ("interrupted", 1,
                                                                      {"epoch": 1})
    resumed = harness("run", GOOD, "--out", out, "--resume")
    assert resumed.code == 0 and "epoch 2/3" in resumed.out


# --- resume refused ----------------------------------------------------------------------------


def _run_doc(**changes) -> dict:
    """A run file of good_tiny.yaml, written by hand from the report's golden results."""
    doc = json.loads((DATA / "results" / "small.json").read_text())
    doc["spec"]["hash"] = load_spec(GOOD).content_hash()
    doc.update(status="interrupted", epochs_done=1, checkpoint={"epoch": 1}, test=None, band=None,
               options={"data": str(TINY), "mode": "default", "epochs": 3, "train_samples": None,
                        "test_samples": None, "seed": 0})
    doc["history"] = {k: v[:1] for k, v in doc["history"].items()}
    doc["epoch_time_s"] = doc["epoch_time_s"][:1]
    doc.update(changes)
    return doc


def _write_run(out: Path, doc: dict, checkpoint: bool = True) -> Path:
    runs = out / "tiny_rnn" / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    path = runs / f"{doc['run_id']}.json"
    path.write_text(json.dumps(doc))
    if checkpoint and doc.get("checkpoint"):
        (runs / f"{doc['run_id']}.epoch{doc['checkpoint']['epoch']}.weights.h5").write_bytes(b"")
    return path


def test_resume_with_nothing_to_resume(harness, tmp_path):
    out = tmp_path / "out"
    result = harness("run", GOOD, "--out", out, "--resume")
    assert result.code == 2
    assert result.error == (f"error: {out}/tiny_rnn/runs: no interrupted run of tiny_rnn to "
                            "resume (run files: none); run without --resume to start a new one")
    _write_run(out, _run_doc(status="complete"))
    _write_run(out, _run_doc(run_id="20260102T030406Z-live00", status="running",
                             process={"pid": __import__("os").getpid(),
                                      "host": __import__("socket").gethostname()}))
    result = harness("run", GOOD, "--out", out, "--resume")
    assert "(run files: 1 complete, 1 running)" in result.error


def test_resume_after_the_spec_changed(harness, tmp_path):
    out = tmp_path / "out"
    path = _write_run(out, _run_doc(spec={"name": "tiny_rnn", "hash": "0123456789abcdef"}))
    result = harness("run", GOOD, "--out", out, "--resume")
    assert result.code == 2
    assert result.error == (f"error: {path}: run 20260102T030405Z-abc123 was made from another "
                            f"version of {GOOD} (its model, data or train section changed "
                            "since); run without --resume to start over")


def test_resume_without_its_checkpoint(harness, tmp_path):
    out = tmp_path / "out"
    _write_run(out, _run_doc(), checkpoint=False)
    result = harness("run", GOOD, "--out", out, "--resume")
    assert result.code == 2
    assert result.error == (f"error: {out}/tiny_rnn/runs/20260102T030405Z-abc123.epoch1.weights"
                            ".h5: checkpoint of run 20260102T030405Z-abc123 (epoch 1) is missing;"
                            " run without --resume to start over")


def test_resume_with_other_options_leaves_the_run_resumable(harness, tmp_path):
    out = tmp_path / "out"
    path = _write_run(out, _run_doc())
    result = harness("run", GOOD, "--out", out, "--resume", "--epochs", "5", "--mode", "xla")
    assert result.code == 2
    assert result.error == (f"error: {path}: cannot resume with other options: --mode xla (the "
                            "run used default), --epochs 5 (the run used 3); leave them out to "
                            "use the run's, or run without --resume")
    assert json.loads(path.read_text())["status"] == "interrupted"


def test_resume_on_other_data_leaves_the_run_resumable(harness, tmp_path):
    out = tmp_path / "out"
    path = _write_run(out, _run_doc())
    result = harness("run", GOOD, "--out", out, "--resume")
    assert result.code == 2
    assert result.error.startswith(f"error: folder:{TINY}: not the data of run "
                                   f"20260102T030405Z-abc123 in {path} (sha256 ")
    assert result.error.endswith("); pass its --data to resume")
    doc = json.loads(path.read_text())
    assert doc["status"] == "interrupted" and "resumed" not in doc


def test_resume_of_a_run_on_data_outside_the_project_needs_its_data(harness, tmp_path):
    # results name a data file outside the project by its name (and sha256) only
    out = tmp_path / "out"
    doc = _run_doc()
    doc["options"]["data"] = "aclImdb_v1.tar.gz"
    path = _write_run(out, doc)
    result = harness("run", GOOD, "--out", out, "--resume")
    assert result.code == 2
    assert result.error == (f"error: {path}: run 20260102T030405Z-abc123 read its data from "
                            "aclImdb_v1.tar.gz (sha256 feedfacecafe...), which is not there from "
                            "this folder (results name a file outside the project by its name "
                            "only); pass --data PATH to resume")
    assert json.loads(path.read_text())["status"] == "interrupted"


def test_a_run_whose_process_died_is_resumable(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    out = tmp_path / "out"
    doc = _run_doc(status="running",
                   process={"pid": int(dead), "host": __import__("socket").gethostname()})
    path = _write_run(out, doc)
    assert RunFile(path, doc).state == "crashed"
    found, _ = find_resumable(out / "tiny_rnn", load_spec(GOOD))
    assert found == path


# --- concurrent runs ---------------------------------------------------------------------------


def test_two_runs_into_one_folder_at_once(tmp_path, files_under):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "harness", "run", str(GOOD), "--data", str(TINY), "--out",
               str(out), "--mode", "default"]
    procs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    for proc in procs:
        proc.communicate(timeout=300)
        assert proc.returncode == 0
    folder = out / "tiny_rnn"
    runs = sorted(folder.glob("runs/*.json"))
    docs = [json.loads(p.read_text()) for p in runs]
    assert [d["status"] for d in docs] == ["complete", "complete"]
    assert not [f for f in files_under(out) if ".tmp" in f or f.endswith(".weights.h5")]
    latest = json.loads((folder / "results.json").read_text())
    report = (folder / "report.md").read_text()
    assert latest["run_id"] in {d["run_id"] for d in docs}
    assert f"{latest['run_id']} (this report)" in report
    section = report.split("## Runs in this folder")[1].split("##")[0]
    for doc in docs:
        assert f"| {doc['run_id']}" in section and "complete" in section


_PUBLISHER = """
import copy, json, sys
from pathlib import Path
from harness.results import write_json_atomic
from harness.runs import publish
folder, worker = Path(sys.argv[1]), sys.argv[2]
base = json.loads(Path(sys.argv[3]).read_text())
base["history"] = {}
for i in range(8):
    doc = copy.deepcopy(base)
    doc["run_id"] = f"20260101T0000{worker}{i}Z-w{worker}"
    write_json_atomic(folder / "runs" / (doc["run_id"] + ".json"), doc)
    publish(folder, doc)
"""


def test_publishing_under_the_folder_lock_keeps_results_and_report_together(tmp_path):
    # Four processes each publish eight runs as fast as they can: at the end results.json and
    # report.md come from the same run, and the report lists all 32 run files.
    folder = tmp_path / "tiny_rnn"
    procs = [subprocess.Popen([sys.executable, "-c", _PUBLISHER, str(folder), str(w),
                               str(DATA / "results" / "small.json")], cwd=ROOT)
             for w in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    latest = json.loads((folder / "results.json").read_text())
    report = (folder / "report.md").read_text()
    assert f"{latest['run_id']} (this report)" in report
    assert report.count("(this report)") == 1
    assert len(run_summaries(folder)) == 32
    assert sum(f"| {r['run_id']}" in report for r in run_summaries(folder)) == 32


def test_a_broken_run_file_is_listed_not_fatal(tmp_path):
    folder = tmp_path / "tiny_rnn"
    (folder / "runs").mkdir(parents=True)
    (folder / "runs" / "20260101T000000Z-broken.json").write_text('{"schema_version": 1,\n')
    doc = _run_doc(status="complete")
    from harness.runs import publish

    report = publish(folder, doc).read_text()
    assert "| 20260101T000000Z-broken" in report
    assert "unreadable: " in report and "line 2, column 1: broken JSON" in report
