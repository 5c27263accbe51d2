"""The results store (harness.history): record, import and query real run files on SQLite and on
a throwaway PostgreSQL server; duplicates, concurrent writers, and every bad store as a file or
a URL."""

from __future__ import annotations

import copy
import datetime as dt
import glob
import json
import multiprocessing
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import REPORTS

from harness.errors import HarnessError, UsageError, error_line
from harness.history import (
    STORE_SCHEMA_VERSION,
    ImportSummary,
    RunRow,
    Store,
    StoreError,
    open_store,
)
from harness.results import load_results
from harness.stats import run_figures

LSTM_RUNS = sorted((REPORTS / "baseline" / "imdb_lstm" / "runs").glob("*.json"))[:3]
RNN_RUNS = sorted((REPORTS / "baseline" / "imdb_simple_rnn" / "runs").glob("*.json"))[:2]
BENCH = REPORTS / "bench" / "results.json"


# ---------------------------------------------------------------------------------------------
# A throwaway PostgreSQL server


def _pg_binary(name: str) -> str | None:
    """``name`` on PATH, else in the newest /usr/lib/postgresql/*/bin (Debian's layout)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit()
                        else 0)
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pg_server() -> Iterator[str]:
    """A PostgreSQL server of its own (initdb into a temporary folder, pg_ctl start on a free
    port, stopped at the end); yields ``postgresql://postgres@127.0.0.1:PORT``. Skips, saying
    why, when the server binaries or psycopg2 are missing."""
    pytest.importorskip("psycopg2", reason="psycopg2 is not installed (pip install "
                                           "'keras-harness[postgres]')")
    initdb, pg_ctl = _pg_binary("initdb"), _pg_binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not on PATH nor in "
                    "/usr/lib/postgresql/*/bin (Debian: apt-get install postgresql)")
    as_user: list[str] = []
    # Not under pytest's tmp_path: its root folder is private to the user running pytest,
    # and as root the server runs as another user.
    base = Path(tempfile.mkdtemp(prefix="harness-pg-"))
    if os.geteuid() == 0:  # initdb refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(base)
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
        runuser = shutil.which("runuser")
        as_user = [runuser, "-u", "postgres", "--"] if runuser else ["su", "postgres", "-c"]
        os.chown(base, user.pw_uid, user.pw_gid)

    def server(*args: str) -> subprocess.CompletedProcess:
        command = [*args]
        if as_user[:1] == ["su"]:
            command = [*as_user, " ".join(f"'{a}'" for a in args)]
        elif as_user:
            command = [*as_user, *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=60)

    port = _free_port()
    data = base / "data"
    made = server(initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync",
                  "-E", "UTF8", "--locale=C")
    if made.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"initdb failed: {made.stderr.strip()[-2000:]}")
    options = (f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off")
    started = server(pg_ctl, "-D", str(data), "-l", str(base / "server.log"), "-w", "-t", "30",
                     "-o", options, "start")
    if started.returncode != 0:
        log = (base / "server.log").read_text() if (base / "server.log").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"pg_ctl start failed: {started.stderr.strip()} {log[-2000:]}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        server(pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh database on the throwaway server, dropped after the test."""
    import psycopg2

    name = f"t{os.getpid()}_{time.monotonic_ns()}"
    admin = psycopg2.connect(f"{pg_server}/postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name}")
        yield f"{pg_server}/{name}"
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same tests on an SQLite file and on a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "history.sqlite")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with open_store(store_url) as opened:
        yield opened


# ---------------------------------------------------------------------------------------------
# Helpers


def reports_copy(folder: Path) -> Path:
    """A reports folder made of real committed files: three LSTM runs and two SimpleRNN runs
    of the baseline, the LSTM's results.json (a copy of one of its runs) and a bench."""
    for spec, files in (("imdb_lstm", LSTM_RUNS), ("imdb_simple_rnn", RNN_RUNS)):
        (folder / spec / "runs").mkdir(parents=True)
        for f in files:
            shutil.copy(f, folder / spec / "runs" / f.name)
    shutil.copy(LSTM_RUNS[-1], folder / "imdb_lstm" / "results.json")
    (folder / "bench").mkdir()
    shutil.copy(BENCH, folder / "bench" / "results.json")
    return folder


def one_line(exc: HarnessError) -> str:
    line = error_line(exc)
    assert "\n" not in str(exc), str(exc)
    return line


# ---------------------------------------------------------------------------------------------
# Record and query


def test_record_is_idempotent_and_queries_are_typed(store: Store) -> None:
    files = LSTM_RUNS + RNN_RUNS
    docs = [load_results(f) for f in files]
    assert [store.record(d, f) for d, f in zip(docs, files, strict=True)] == [True] * 5
    assert [store.record(d) for d in docs] == [False] * 5

    rows = store.runs("imdb_lstm", metric="best_val_acc")
    assert [r.run_id for r in rows] == [d["run_id"] for d in docs[:3]]
    assert [r.created_utc for r in rows] == sorted(r.created_utc for r in rows)
    first, doc = rows[0], docs[0]
    assert isinstance(first, RunRow)
    assert first.value == pytest.approx(run_figures(doc)["best_val_acc"])
    assert first.metrics["test_acc"] == pytest.approx(doc["test"]["acc"])
    assert first.metrics["epoch_time_s"] == pytest.approx(run_figures(doc)["epoch_time_s"])
    assert first.created_utc == dt.datetime.fromisoformat(
        doc["created_utc"].replace("Z", "+00:00"))
    env = doc["environment"]
    assert (first.kind, first.spec_name, first.spec_hash, first.status, first.seed) == (
        "run", "imdb_lstm", doc["spec"]["hash"], "complete", doc["execution"]["seed"])
    assert (first.schedule, first.epochs, first.batch_size, first.test_samples) == (
        "ci", doc["schedule"]["epochs"], doc["schedule"]["batch_size"],
        doc["schedule"]["test_samples"])
    assert first.data_checksum == doc["data"]["checksum"]
    assert first.git_commit == env["git_commit"].removesuffix("-dirty")
    assert first.git_dirty is env["git_commit"].endswith("-dirty")
    assert (first.cpu_model, first.cpu_cores) == (env["cpu"]["model"], env["cpu"]["cores"])
    assert first.machine == f"CPU {env['cpu']['model']} ({env['cpu']['cores']} cores)"
    assert (first.device, first.mode) == (doc["execution"]["device"], doc["execution"]["mode"])
    assert (first.tensorflow, first.keras) == (env["tensorflow"], env["keras"])
    assert first.source_path == str(LSTM_RUNS[0])
    assert store.document(first.run_id)["run_id"] == first.run_id

    assert [(s.name, s.runs) for s in store.specs()] == [("imdb_lstm", 3),
                                                         ("imdb_simple_rnn", 2)]
    assert {"best_val_acc", "final_val_acc", "test_acc", "epoch_time_s"} <= set(
        store.metric_names("imdb_lstm"))
    assert store.runs("imdb_lstm", metric="no_such_metric") == []
    assert store.runs("no_such_spec") == []


def test_since_filters_by_created_time(store: Store) -> None:
    for f in LSTM_RUNS:
        store.record(load_results(f))
    rows = store.runs("imdb_lstm")
    later = store.runs("imdb_lstm", since=rows[1].created_utc)
    assert [r.run_id for r in later] == [r.run_id for r in rows[1:]]
    as_text = rows[1].created_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [r.run_id for r in store.runs("imdb_lstm", since=as_text)] == [
        r.run_id for r in rows[1:]]
    with pytest.raises(UsageError, match="since: not a time"):
        store.runs("imdb_lstm", since="yesterday-ish")


def test_import_folder_lists_bad_files_and_imports_the_rest(store: Store,
                                                            tmp_path: Path) -> None:
    reports = reports_copy(tmp_path / "reports")
    runs = reports / "imdb_lstm" / "runs"
    text = LSTM_RUNS[0].read_text()
    (runs / "20990101T000000Z-broken.json").write_text(text.replace('"status": ', '"status" ', 1))
    newer = json.loads(text)
    newer["schema_version"] = 99
    (runs / "20990101T000000Z-newer.json").write_text(json.dumps(newer))
    (runs / "20990101T000000Z-bytes.json").write_bytes(os.urandom(64))
    running = {**load_results(LSTM_RUNS[0]), "run_id": "20990101T000000Z-000001",
               "status": "running"}
    (reports / "imdb_gru").mkdir()
    (reports / "imdb_gru" / "results.json").write_text(json.dumps(running))

    summary = store.import_folder(reports)
    assert isinstance(summary, ImportSummary)
    # 5 run files + the bench are new; the LSTM's results.json is one of its runs
    assert (summary.new, summary.present, summary.updated) == (6, 1, 0)
    assert sorted(Path(p.path).name for p in summary.unreadable) == [
        "20990101T000000Z-broken.json", "20990101T000000Z-bytes.json",
        "20990101T000000Z-newer.json"]
    for problem in summary.unreadable:
        assert "\n" not in problem.reason and problem.reason
    reasons = {Path(p.path).name: p.reason for p in summary.unreadable}
    assert "broken JSON" in reasons["20990101T000000Z-broken.json"]
    assert "schema 99" in reasons["20990101T000000Z-newer.json"]
    assert [Path(p.path).parent.name for p in summary.skipped] == ["imdb_gru"]
    assert str(summary) == "6 new, 1 already present, 1 skipped, 3 unreadable"

    assert len(store.runs("imdb_lstm", kind="run")) == 3
    bench = store.runs("imdb_lstm", metric="epoch_time_s", kind="bench")
    assert sorted((r.device, r.mode) for r in bench) == [("cpu", "default"), ("cpu", "xla")]
    assert all(r.schedule == "bench" and r.value > 0 for r in bench)
    skipped = [r for r in store.runs("imdb_lstm", kind="bench") if r.status == "skipped"]
    assert sorted(r.device for r in skipped) == ["gpu", "gpu"]
    one = store.document(bench[0].run_id)
    assert one["kind"] == "bench" and len(one["benchmarks"]) == 1

    again = store.import_folder(reports)
    assert (again.new, again.updated, again.present) == (0, 0, 7)


def test_a_later_stage_of_a_run_replaces_the_stored_one(store: Store) -> None:
    done = load_results(LSTM_RUNS[0])
    running = copy.deepcopy(done)
    running.update(status="running", epochs_done=1, test=None, band=None,
                   history={k: v[:1] for k, v in done["history"].items()},
                   epoch_time_s=done["epoch_time_s"][:1])
    assert store.record(running) is True
    assert store.runs("imdb_lstm")[0].status == "running"
    assert "test_acc" not in store.runs("imdb_lstm")[0].metrics
    assert store.record(done) is False  # not new: the same run, now finished
    (row,) = store.runs("imdb_lstm")
    assert (row.status, row.epochs_done) == ("complete", done["epochs_done"])
    assert row.metrics["test_acc"] == pytest.approx(done["test"]["acc"])
    store.record(running)  # an older copy never replaces a later stage
    assert store.runs("imdb_lstm")[0].status == "complete"


def test_gate_verdicts_are_stored_per_spec(store: Store) -> None:
    summary = {"n": 3, "mean": 0.85, "std": 0.01}
    verdict = {"schema_version": 1, "state": "PASS", "exit_code": 0, "headline": "pass",
               "created_utc": "2026-12-01T05:18:00Z", "missing_baseline": [],
               "not_comparable": [], "skipped": [],
               "groups": [{"spec": "imdb_lstm", "state": "pass", "failures": [], "runs": 3,
                           "metrics": {"best_val_acc": {
                               "current": summary, "baseline": {**summary, "mean": 0.86},
                               "change": -0.01, "p": 0.3}}}]}
    assert store.record(verdict) is True
    assert store.record(verdict) is False
    (row,) = store.runs("imdb_lstm", metric="best_val_acc", kind="gate")
    assert (row.status, row.value) == ("pass", 0.85)
    assert row.metrics["baseline_best_val_acc"] == 0.86


def test_record_refuses_a_bad_document_with_a_store_error(store: Store) -> None:
    with pytest.raises(StoreError, match=r"^x\.json: cannot record it: not a valid results "
                                         r"file: spec\.name: field required"):
        store.record({"schema_version": 1, "architecture": {"layers": [], "totals": {}},
                      "spec": {}}, "x.json")
    newer = {**load_results(LSTM_RUNS[0]), "schema_version": 99}
    with pytest.raises(StoreError, match="results schema 99"):
        store.record(newer)
    with pytest.raises(StoreError, match="not a results document"):
        store.record([1, 2])  # type: ignore[arg-type]
    assert store.runs("tiny_rnn") == []


def test_a_run_without_run_id_is_keyed_by_its_file_name(store: Store) -> None:
    doc = load_results(LSTM_RUNS[0])
    del doc["run_id"]
    assert store.record(doc, "reports/imdb_lstm/runs/20260101T000000Z-aaaaaa.json") is True
    assert store.record(doc, "reports/imdb_lstm/runs/20260101T000000Z-aaaaaa.json") is False
    assert [r.run_id for r in store.runs("imdb_lstm")] == ["20260101T000000Z-aaaaaa"]


# ---------------------------------------------------------------------------------------------
# Several writers at once


def _write(url: str, docs: list[dict], shared: dict, barrier, out) -> None:  # noqa: ANN001
    """A writer process: wait for the others, then open the store (the first opens create it)
    and record its documents and the shared one."""
    barrier.wait(timeout=60)
    with open_store(url) as store:
        news = [store.record(d) for d in docs]
        out.put((os.getpid(), news, store.record(shared)))


def test_concurrent_writers_lose_nothing_and_duplicate_nothing(store_url: str) -> None:
    base = load_results(LSTM_RUNS[0])
    shared = load_results(LSTM_RUNS[1])
    writers, each = 4, 5
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(writers), ctx.Queue()
    processes = []
    for w in range(writers):
        docs = [{**base, "run_id": f"{base['run_id']}-w{w}-{i}"} for i in range(each)]
        processes.append(ctx.Process(target=_write, args=(store_url, docs, shared, barrier, out)))
    for p in processes:
        p.start()
    results = [out.get(timeout=120) for _ in processes]
    for p in processes:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert all(news == [True] * each for _, news, _ in results)
    assert sum(shared_new for _, _, shared_new in results) == 1
    with open_store(store_url, create=False) as store:
        ids = [r.run_id for r in store.runs("imdb_lstm")]
    assert len(ids) == len(set(ids)) == writers * each + 1


# ---------------------------------------------------------------------------------------------
# Where the store lives


def test_default_store_is_under_the_working_directory(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HARNESS_DB", raising=False)
    with pytest.raises(StoreError) as missing:
        open_store(create=False)
    assert one_line(missing.value) == ("error: no results history at .harness/history.sqlite: "
                                       "run `harness history import reports/` first")
    with open_store() as store:
        assert store.where == ".harness/history.sqlite"
        store.record(load_results(LSTM_RUNS[0]))
    assert (tmp_path / ".harness" / "history.sqlite").is_file()
    with sqlite3.connect(tmp_path / ".harness" / "history.sqlite") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with open_store(create=False) as store:
        assert len(store.runs("imdb_lstm")) == 1
        assert store.schema_version == STORE_SCHEMA_VERSION

    monkeypatch.setenv("HARNESS_DB", "elsewhere.sqlite")
    with open_store() as store:
        assert store.where == "elsewhere.sqlite"
    assert (tmp_path / "elsewhere.sqlite").is_file()
    with open_store(f"sqlite:///{tmp_path / 'by_url.sqlite'}") as store:
        assert store.where == str(tmp_path / "by_url.sqlite")


# ---------------------------------------------------------------------------------------------
# Bad stores: one line each


def test_missing_file_for_queries(tmp_path: Path) -> None:
    path = tmp_path / "none.sqlite"
    with pytest.raises(StoreError, match=f"^no results history at {path}: run `harness "
                                         "history import reports/` first$"):
        open_store(str(path), create=False)
    assert not path.exists()


@pytest.mark.parametrize("create", [True, False])
def test_corrupt_file(tmp_path: Path, create: bool) -> None:
    path = tmp_path / "corrupt.sqlite"
    path.write_bytes(os.urandom(8192))
    with pytest.raises(StoreError) as caught:
        open_store(str(path), create=create)
    assert one_line(caught.value) == (f"error: {path} is not an SQLite database (file is "
                                      "corrupt or not a database)")


def test_locked_beyond_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    open_store(str(path)).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        with open_store(str(path), timeout_s=0.2) as store:
            assert store.runs("imdb_lstm") == []  # readers do not wait (WAL)
            started = time.monotonic()
            with pytest.raises(StoreError) as caught:
                store.record(load_results(LSTM_RUNS[0]))
            assert time.monotonic() - started < 5
    finally:
        holder.rollback()
        holder.close()
    assert one_line(caught.value) == (f"error: the results history at {path} is locked by "
                                      "another process (waited 0.2 s); try again when it has "
                                      "finished")


def test_store_of_a_newer_schema(store_url: str) -> None:
    open_store(store_url).close()
    if store_url.startswith("postgresql"):
        import psycopg2

        raw = psycopg2.connect(store_url)
        with raw, raw.cursor() as cursor:
            cursor.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
        raw.close()
    else:
        with sqlite3.connect(store_url) as raw:
            raw.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    for create in (True, False):
        with pytest.raises(StoreError) as caught:
            open_store(store_url, create=create)
        assert one_line(caught.value) == (
            f"error: {store_url} was written by a newer harness (store schema 3, this harness "
            f"reads up to {STORE_SCHEMA_VERSION}): upgrade keras-harness")


def test_unreachable_server_never_shows_the_password() -> None:
    pytest.importorskip("psycopg2")
    with pytest.raises(StoreError) as caught:
        open_store("postgresql://u@127.0.0.1:1/x", timeout_s=2)
    assert one_line(caught.value) == ("error: cannot reach the results store at "
                                      "postgresql://u@127.0.0.1:1/x: connection refused")
    with pytest.raises(StoreError) as caught:
        open_store("postgresql://u:s3cret@127.0.0.1:1/x", timeout_s=2)
    assert "s3cret" not in str(caught.value)
    assert str(caught.value) == ("cannot reach the results store at "
                                 "postgresql://u:***@127.0.0.1:1/x: connection refused")


def test_missing_database_on_a_live_server(pg_server: str) -> None:
    with pytest.raises(StoreError) as caught:
        open_store(f"{pg_server}/no_such_db")
    assert one_line(caught.value) == (f"error: cannot open the results store at {pg_server}"
                                      '/no_such_db: database "no_such_db" does not exist')


@pytest.mark.parametrize(("url", "message"), [
    ("mysql://u:pw@host/db", "mysql://u:***@host/db: the results store is SQLite or "
                             "PostgreSQL, got mysql"),
    ("not a url://x:pw@y", "not a url://x:***@y: not a results store URL"),
])
def test_urls_it_cannot_use(url: str, message: str) -> None:
    with pytest.raises(StoreError) as caught:
        open_store(url)
    assert str(caught.value).startswith(message)
    assert "pw" not in str(caught.value)


def test_a_database_of_another_application(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE runs (x INTEGER)")
    with pytest.raises(StoreError, match="has a runs or metrics table but no meta table"):
        open_store(str(path))
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    with pytest.raises(StoreError, match="^no results history at"):
        open_store(str(empty), create=False)


def test_import_of_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    with open_store(str(tmp_path / "h.sqlite")) as store, pytest.raises(UsageError):
        store.import_folder(tmp_path / "nope")
