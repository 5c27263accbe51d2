"""harness.results: atomic writes, schema versions, broken files named with their line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from support import RESULTS

from harness.errors import ResultsError
from harness.results import SCHEMA_VERSION, load_results, write_json_atomic


def test_round_trip(tmp_path):
    doc = json.loads((RESULTS / "small.json").read_text())
    path = write_json_atomic(tmp_path / "a" / "r.json", doc)
    assert load_results(path) == doc
    assert [p.name for p in path.parent.iterdir()] == ["r.json"]  # no temp file left


def test_failed_write_keeps_the_old_file(tmp_path):
    path = write_json_atomic(tmp_path / "r.json", {"schema_version": 1, "x": 1})
    with pytest.raises(ValueError):  # NaN is not JSON: refused before anything is replaced
        write_json_atomic(path, {"schema_version": 1, "x": float("nan")})
    assert json.loads(path.read_text()) == {"schema_version": 1, "x": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_newer_schema_is_refused(tmp_path):
    path = write_json_atomic(tmp_path / "r.json", {"schema_version": SCHEMA_VERSION + 1})
    with pytest.raises(ResultsError, match=f"written with results schema {SCHEMA_VERSION + 1}"):
        load_results(path)


def test_broken_json_names_the_line(tmp_path):
    path = tmp_path / "r.json"
    path.write_text('{\n  "schema_version": 1,\n  "x": [1, 2\n}\n')
    with pytest.raises(ResultsError, match=r"r\.json: line 4, column 1: broken JSON"):
        load_results(path)


def test_not_a_results_file(tmp_path):
    path = tmp_path / "r.json"
    path.write_text("[1, 2]")
    with pytest.raises(ResultsError, match="not a harness results file"):
        load_results(path)


def test_unwritable_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ResultsError, match=r"file/r\.json: cannot write"):
        write_json_atomic(blocker / "r.json", {"schema_version": 1})


def test_schema_0_is_upgraded_on_load():
    # A hand-written results file of schema 0: Keras's log names and no unit in "epoch_times".
    raw = json.loads((RESULTS / "schema0.json").read_text())
    assert raw["schema_version"] == 0 and "val_accuracy" in raw["history"]
    results = load_results(RESULTS / "schema0.json")
    assert results["schema_version"] == SCHEMA_VERSION
    assert results["history"] == {"loss": [0.7, 0.6], "acc": [0.5, 0.75],
                                  "val_loss": [0.71, 0.69], "val_acc": [0.25, 0.5]}
    assert results["epoch_time_s"] == [3.0, 1.0] and "epoch_times" not in results


def test_a_field_of_the_wrong_type_is_named(tmp_path):
    with pytest.raises(ResultsError) as exc:
        load_results(RESULTS / "wrong_type.json")
    assert str(exc.value) == (
        f"{RESULTS / 'wrong_type.json'}: not a valid results file: history.val_acc[1]: input "
        'should be a valid number, unable to parse string as a number, got "high"; fix the field '
        "or re-run the spec")


def test_written_files_are_readable_by_others(tmp_path):
    path = write_json_atomic(tmp_path / "r.json", {"schema_version": 1})
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- paths: relative to the project, else the file's name; never the machine's absolute path ---


@pytest.mark.parametrize(("path", "recorded", "shown"), [
    ("specs/imdb_lstm.yaml", "specs/imdb_lstm.yaml", "specs/imdb_lstm.yaml"),
    ("/project/specs/imdb_lstm.yaml", "specs/imdb_lstm.yaml", "specs/imdb_lstm.yaml"),
    ("./reports/../specs/x.yaml", "specs/x.yaml", "specs/x.yaml"),
    ("/project/../shared/datasets/aclImdb_v1.tar.gz", "aclImdb_v1.tar.gz",
     "/project/../shared/datasets/aclImdb_v1.tar.gz"),
    ("../shared/datasets/aclImdb_v1.tar.gz", "aclImdb_v1.tar.gz",
     "../shared/datasets/aclImdb_v1.tar.gz"),
    ("/project-other/data.npz", "data.npz", "/project-other/data.npz"),
])
def test_recorded_and_shown_paths(path, recorded, shown):
    from harness.results import recorded_path, shown_path

    assert recorded_path(path, root="/project") == recorded
    assert shown_path(path, root="/project") == shown


def test_recorded_source_keeps_its_kind():
    from harness.results import recorded_source

    assert recorded_source("archive:/elsewhere/aclImdb_v1.tar.gz", root="/project") == \
        "archive:aclImdb_v1.tar.gz"
    assert recorded_source("folder:/project/data/aclImdb", root="/project") == \
        "folder:data/aclImdb"
    assert recorded_source("keras.datasets.imdb", root="/project") == "keras.datasets.imdb"


def test_schema_1_paths_are_upgraded_on_load(tmp_path, monkeypatch):
    from harness.comparable import identity

    project = tmp_path / "project"
    (project / "specs").mkdir(parents=True)
    monkeypatch.chdir(project)
    doc = json.loads((RESULTS / "small.json").read_text())
    doc["schema_version"] = 1
    del doc["data"]["x_dtype"]
    doc["spec"]["path"] = str(project / "specs" / "good_tiny.yaml")
    doc["options"] = {"data": str(project / ".." / "shared" / "aclImdb_v1.tar.gz")}
    doc["data"].update(source=f"archive:{project}/../shared/aclImdb_v1.tar.gz",
                       pretrained={"embedding": {"file": "/data/glove/glove.6B.100d.txt"}})
    path = write_json_atomic(project / "reports" / "r.json", doc)
    results = load_results(path)
    assert results["schema_version"] == SCHEMA_VERSION == 2
    assert results["spec"]["path"] == "specs/good_tiny.yaml"
    assert results["options"]["data"] == "aclImdb_v1.tar.gz"
    assert results["data"]["source"] == "archive:aclImdb_v1.tar.gz"
    assert results["data"]["pretrained"]["embedding"]["file"] == "glove.6B.100d.txt"
    assert "x_dtype" not in results["data"]  # not known for an old run: not made up
    assert str(tmp_path) not in json.dumps(results)
    # what the gate compares is untouched: spec hash, schedule, data checksum
    assert identity(results) == identity(doc)



# --- the folder lock ---------------------------------------------------------------------------

_HOLDER = """
import sys, time
from pathlib import Path
from harness.results import folder_lock
folder, seconds = Path(sys.argv[1]), float(sys.argv[2])
with folder_lock(folder):
    (folder / "held").touch()
    time.sleep(seconds)
    (folder / "released").touch()  # still inside the lock: a waiter must see it
"""


def _hold_lock(folder, seconds: float) -> subprocess.Popen:
    """Another process holding ``folder``'s lock for ``seconds``, once it has taken it."""
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(folder), str(seconds)])
    deadline = time.monotonic() + 60
    while not (folder / "held").exists():
        assert holder.poll() is None and time.monotonic() < deadline, "the holder never locked"
        time.sleep(0.02)
    return holder


def test_the_folder_lock_makes_a_second_process_wait_its_turn(tmp_path):
    from harness.results import LOCK_NAME, folder_lock

    holder = _hold_lock(tmp_path, 1.0)
    try:
        with folder_lock(tmp_path):
            assert (tmp_path / "released").exists()  # the holder finished before we got in
    finally:
        assert holder.wait(timeout=60) == 0
    assert (tmp_path / LOCK_NAME).is_file()


def test_a_lock_held_too_long_is_one_line_naming_the_folder(tmp_path):
    from harness.results import folder_lock

    holder = _hold_lock(tmp_path, 30.0)
    try:
        with pytest.raises(ResultsError) as err, folder_lock(tmp_path, timeout_s=0.2):
            pass
    finally:
        holder.kill()
        holder.wait()
    assert str(err.value) == (
        f"{tmp_path}: another process has held its lock (.harness.lock) for over 0.2 s; wait "
        "for that harness process to finish, or stop it, and run again")
    with folder_lock(tmp_path, timeout_s=5):  # the OS let go of the killed holder's lock
        pass


def test_a_folder_that_cannot_be_made_cannot_be_locked(tmp_path):
    from harness.results import folder_lock

    (tmp_path / "file").write_text("")
    with pytest.raises(ResultsError, match=r"file/sub: cannot lock the folder \("), \
            folder_lock(tmp_path / "file" / "sub"):
        pass
