"""harness.cluster on a real local Dask cluster (a scheduler and two worker processes on
loopback, started and stopped here): runs come back exactly as local runs are written, a killed
worker loses nothing, and a cluster that cannot train is one line before anything is trained."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dask_cluster import LocalCluster, free_port
from support import GOOD, ROOT, TINY

from harness.cli import main

pytestmark = pytest.mark.cluster  # tox -e cluster (about 6 minutes); not in the default run

distributed = pytest.importorskip(
    "distributed", reason="Dask distributed is not installed (pip install 'keras-harness[test]')")

@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[LocalCluster]:
    started = LocalCluster(tmp_path_factory.mktemp("cluster"))
    yield started
    started.stop()


def _runs(out: Path, spec: str = "tiny_rnn") -> list[dict]:
    return [json.loads(f.read_text()) for f in sorted((out / spec / "runs").glob("*.json"))]


def _spec_with_epochs(tmp_path: Path, epochs: int) -> Path:
    """The tiny spec, trained longer: time enough to kill its worker between epochs."""
    path = tmp_path / "tiny_long.yaml"
    path.write_text(GOOD.read_text().replace("train: {epochs: 2,", f"train: {{epochs: {epochs},"))
    return path


def test_runs_on_the_cluster_are_written_as_local_runs_are(cluster, tmp_path, capsys):
    common = ["run", str(GOOD), "--data", str(TINY), "--seed", "0", "--seeds", "3"]
    assert main([*common, "--cluster", cluster.address, "--out", str(tmp_path / "cluster")]) == 0
    out = capsys.readouterr().out
    assert f"running 3 run(s) on the cluster at {cluster.address}, 2 worker(s)" in out
    assert "epoch 2/2 done on tcp://127.0.0.1:" in out
    assert "verify: " in out  # each worker's log comes back here
    assert main([*common, "--jobs", "1", "--out", str(tmp_path / "here")]) == 0
    there, here = _runs(tmp_path / "cluster"), _runs(tmp_path / "here")
    assert len(there) == 3 and all(r["status"] == "complete" for r in there)
    # the same seed gives the same run wherever it ran (one CPU model)
    assert ({r["execution"]["seed"]: r["history"] for r in there}
            == {r["execution"]["seed"]: r["history"] for r in here})
    # recorded as this machine records: paths relative to the project, this commit
    for field in ("spec", "options", "data"):
        assert {json.dumps(r[field], sort_keys=True) for r in there} \
            == {json.dumps(r[field], sort_keys=True) for r in here}
    assert {r["environment"]["git_commit"] for r in there} \
        == {r["environment"]["git_commit"] for r in here}
    folder = tmp_path / "cluster" / "tiny_rnn"
    assert (folder / "results.json").is_file() and (folder / "report.md").is_file()
    assert str(tmp_path / "cluster") in out  # the report lines name this machine's files
    from harness.history import open_store

    with open_store(os.environ["HARNESS_DB"], create=False) as store:
        assert all(store.document(r["run_id"]) is not None for r in there)
    capsys.readouterr()
    # -q is one setting for this command and the workers' training processes
    assert main(["-q", *common[:-1], "2", "--cluster", cluster.address,
                 "--out", str(tmp_path / "quiet")]) == 0
    quiet = capsys.readouterr().out
    assert "verify: " not in quiet and "done on tcp://" not in quiet
    assert len(_runs(tmp_path / "quiet")) == 2


def _run_and_kill(cluster: LocalCluster, command: list[str], kills: int) -> tuple[int, str]:
    """Run ``harness`` in a process; each time a worker not killed yet reports an epoch before
    the last (of 8), kill it (SIGKILL: no goodbye to the scheduler), ``kills`` times."""
    pids = cluster.worker_pids()
    process = subprocess.Popen([sys.executable, "-m", "harness", *command], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines = []
    killed: set[str] = set()
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if len(killed) < kills and " done on " in line and ": epoch 8/" not in line:
            worker = line.rsplit(" done on ", 1)[1].strip()
            if worker not in pids:  # a worker its nanny restarted: a new address
                pids = cluster.worker_pids()
            if worker not in killed and worker in pids:
                os.kill(pids[worker], signal.SIGKILL)
                killed.add(worker)
    code = process.wait(timeout=600)
    cluster.wait_for_workers()
    assert len(killed) == kills, "".join(lines)
    return code, "".join(lines)


def test_a_killed_worker_loses_nothing(cluster, tmp_path):
    spec = _spec_with_epochs(tmp_path, 8)
    code, log = _run_and_kill(cluster, ["run", str(spec), "--data", str(TINY), "--seed", "0",
                                        "--seeds", "2", "--cluster", cluster.address,
                                        "--out", str(tmp_path / "out")], kills=1)
    assert code == 0, log
    runs = _runs(tmp_path / "out")
    complete = [r for r in runs if r["status"] == "complete"]
    lost = [r for r in runs if r["status"] == "failed"]
    assert sorted(r["execution"]["seed"] for r in complete) == [0, 1]
    assert len(lost) == 1, log
    assert lost[0]["epochs_done"] >= 1 and len(lost[0]["history"]["loss"]) >= 1
    again = next(r for r in complete if r["execution"]["seed"] == lost[0]["execution"]["seed"])
    assert f"lost (it died or was killed) after epoch {lost[0]['epochs_done']} of 8; run again " \
        f"from the start as run {again['run_id']}" in lost[0]["stop_reason"]
    assert "a lost try is kept as failed in" in log


def test_a_run_lost_on_every_try_is_kept_as_failed(cluster, tmp_path):
    spec = _spec_with_epochs(tmp_path, 8)
    code, log = _run_and_kill(cluster, ["run", str(spec), "--data", str(TINY), "--seed", "5",
                                        "--cluster", cluster.address,
                                        "--out", str(tmp_path / "out")], kills=2)
    assert code == 1, log
    runs = _runs(tmp_path / "out")
    assert [r["status"] for r in runs] == ["failed", "failed"]
    assert all(r["epochs_done"] >= 1 and r["execution"]["seed"] == 5 for r in runs)
    assert "its worker was lost on every try" in log
    assert log.strip().splitlines()[-1].startswith("error: tiny_rnn: seed 5: worker ")


def test_an_unreachable_cluster_is_one_line(tmp_path, capsys):
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    code = main(["run", str(GOOD), "--data", str(TINY), "--seeds", "2", "--cluster", address,
                 "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: --cluster {address}: no Dask scheduler answered within 10 s")
    assert err.count("\n") == 1
    assert not (tmp_path / "tiny_rnn" / "runs").exists() or not any(
        (tmp_path / "tiny_rnn" / "runs").iterdir())


@pytest.mark.parametrize("address, says", [
    ("nonsense", "missing port number"),
    ("http://127.0.0.1:1", "unknown address scheme 'http'"),
    ("tcp://host:x", "invalid literal"),
])
def test_a_malformed_address_is_one_line_at_once(address, says, tmp_path, capsys):
    code = main(["run", str(GOOD), "--data", str(TINY), "--seeds", "2", "--cluster", address,
                 "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: --cluster {address}: not a Dask scheduler address (")
    assert says in err and err.count("\n") == 1


def test_an_empty_address_is_refused(capsys):
    with pytest.raises(SystemExit):
        main(["run", str(GOOD), "--cluster", " "])
    assert "argument --cluster: an empty address" in capsys.readouterr().err


def test_jobs_and_cluster_exclude_each_other(capsys):
    with pytest.raises(SystemExit):
        main(["run", str(GOOD), "--jobs", "2", "--cluster", "tcp://127.0.0.1:8786"])
    assert "not allowed with argument --jobs" in capsys.readouterr().err


def test_a_worker_without_tensorflow_is_one_line(tmp_path, capsys):
    # a worker whose Python finds a tensorflow that cannot be imported
    shadow = tmp_path / "shadow" / "tensorflow"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named tensorflow')\n")
    paths = [str(tmp_path / "shadow"), os.environ.get("PYTHONPATH", "")]
    broken = LocalCluster(tmp_path, workers=1,
                          worker_env={"PYTHONPATH": os.pathsep.join(filter(None, paths))})
    try:
        code = main(["run", str(GOOD), "--data", str(TINY), "--seeds", "2", "--cluster",
                     broken.address, "--out", str(tmp_path / "out")])
    finally:
        broken.stop()
    err = capsys.readouterr().err
    assert code == 2
    assert f"error: --cluster {broken.address}: worker tcp://127.0.0.1:" in err
    assert "cannot train (ImportError: No module named tensorflow); install keras-harness " \
        "(with TensorFlow) on every worker" in err
    assert err.count("\n") == 1


def test_a_worker_running_two_tasks_at_once_is_refused(tmp_path, capsys):
    busy = LocalCluster(tmp_path, workers=1, nthreads=2)
    try:
        code = main(["run", str(GOOD), "--data", str(TINY), "--seeds", "2", "--cluster",
                     busy.address, "--out", str(tmp_path / "out")])
    finally:
        busy.stop()
    err = capsys.readouterr().err
    assert code == 2
    assert "runs 2 tasks at once; a worker trains one model at a time: start workers with " \
        "--nthreads 1" in err
