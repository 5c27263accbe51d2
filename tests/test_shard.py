"""harness.shard: --shard K/N deals the matrix out the same way everywhere, and gate --results
merges the shards only when they are all the parts of one matrix, each once."""

from __future__ import annotations

import json
import shutil

import pytest
from support import GOOD, TINY

from harness.cli import main
from harness.errors import UsageError
from harness.pipeline import RunOptions
from harness.shard import Shard, matrix_id, parse_shard, select
from harness.spec import load_spec
from harness.tasks import Task


def _matrix(specs: int = 3, seeds: int = 5) -> list[Task]:
    spec = load_spec(GOOD)
    return [Task(spec.model_copy(update={"name": f"spec{i}"}), RunOptions(), seed)
            for i in range(specs) for seed in range(seeds)]


@pytest.mark.parametrize("text, message", [
    ("3/2", "--shard 3/2: K must be between 1 and N (here K=3, N=2)"),
    ("0/4", "--shard 0/4: K must be between 1 and N (here K=0, N=4)"),
    ("1/0", "--shard 1/0: N must be at least 1 (the number of parts)"),
    ("2", "--shard 2: expected K/N, e.g. 2/4 (the second of 4 parts)"),
    ("a/b", "--shard a/b: expected K/N"),
])
def test_a_bad_shard_is_one_line(text, message):
    with pytest.raises(UsageError) as caught:
        parse_shard(text)
    assert str(caught.value).startswith(message)


def test_the_shards_cover_the_matrix_once_and_evenly():
    matrix = _matrix()
    parts = [select(matrix, Shard(k, 4)) for k in range(1, 5)]
    chosen = [(t.spec.name, t.seed) for part in parts for t in part]
    assert sorted(chosen) == sorted((t.spec.name, t.seed) for t in matrix)  # all, once each
    assert [len(p) for p in parts] == [4, 4, 4, 3]
    # each shard gets part of every spec's seeds, whatever order the matrix was listed in
    assert all(len({t.spec.name for t in p}) == 3 for p in parts)
    assert select(list(reversed(matrix)), Shard(2, 4)) == parts[1]
    assert matrix_id(list(reversed(matrix))) == matrix_id(matrix)
    assert matrix_id(matrix[:-1]) != matrix_id(matrix)


def _gate(*args: str) -> int:
    return main(["gate", str(GOOD), "--allow-missing-baseline", *args])


def _shard(tmp_path, k: int, n: int = 2, *extra: str) -> str:
    out = str(tmp_path / f"shard{k}")
    assert _gate("--run", "--shard", f"{k}/{n}", "--data", str(TINY), "--out", out, "--jobs",
                 "1", "--verdict", str(tmp_path / "unused.md"), *extra) == 0
    return out


def test_shards_merge_into_one_verdict_and_bad_merges_are_one_line(tmp_path, capsys):
    one, two = _shard(tmp_path, 1), _shard(tmp_path, 2)
    out = capsys.readouterr().out
    assert "shard 2/2: 1 of the matrix's 2 runs" in out
    assert "judge every shard together with harness gate --results" in out
    manifest = json.loads((tmp_path / "shard1" / "shards" / "shard-1-of-2.json").read_text())
    assert manifest["shard"] == "1/2" and len(manifest["tasks"]) == 2
    assert [r["seed"] for r in manifest["runs"]] == [0]

    verdict = tmp_path / "verdict.md"
    # judged as one sample (pass, or a failure mode of these tiny runs on this CPU: both fine)
    assert _gate("--results", one, two, "--verdict", str(verdict)) in (0, 1)
    assert "gate: merged 2 shards of matrix" in capsys.readouterr().out
    assert "- runs: 2 run(s), seed 0, 1; ci schedule" in verdict.read_text()
    # an older run in a shard's folder is not one of the shard's: never judged
    extra = tmp_path / "shard1" / "tiny_rnn" / "runs"
    stray = json.loads(next(extra.glob("*.json")).read_text())
    (extra / "20000101T000000Z-000000.json").write_text(
        json.dumps({**stray, "run_id": "20000101T000000Z-000000"}))
    assert _gate("--results", one, two, "--verdict", str(verdict)) in (0, 1)
    assert "- runs: 2 run(s), seed 0, 1; ci schedule" in verdict.read_text()
    capsys.readouterr()

    def refused(*results: str) -> str:
        assert _gate("--results", *results, "--verdict", str(verdict)) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        return err

    assert "error: shards missing: 2/2 (given: 1/2); their runs would not be judged" \
        in refused(one)
    copy = str(tmp_path / "copy")
    shutil.copytree(one, copy)
    assert "error: shards overlap: shard 1/2 is given twice" in refused(one, two, copy)
    assert "error: shards overlap: shard 1/2 is given twice" in refused(one, one, two)
    assert f"error: --results {tmp_path / 'nowhere'}: no such results folder" in \
        refused(one, two, str(tmp_path / "nowhere"))
    other = _shard(tmp_path, 3, 3, "--seeds", "3")  # another matrix: 3 seeds, 3 shards
    assert "error: shards of different matrices:" in refused(one, two, other)
    # a folder without a manifest beside the shards would go unjudged: refused
    plain = tmp_path / "plain"
    shutil.copytree(tmp_path / "shard1" / "tiny_rnn", plain / "tiny_rnn")
    assert f"error: --results {plain}: holds no shard manifest" in refused(one, two, str(plain))
    manifest_file = tmp_path / "shard1" / "shards" / "shard-1-of-2.json"
    assert f"error: --results {manifest_file}: is a shard manifest; pass its shard's results " \
        f"folder ({tmp_path / 'shard1'}) instead" in refused(str(manifest_file), two)
    # manifests that are not manifests, each one line naming the file
    broken = tmp_path / "broken"
    shutil.copytree(two, broken)
    bad = broken / "shards" / "shard-2-of-2.json"
    for text, says in [("[]", 'no "kind": "harness-shard"'), ("{", "Expecting property name"),
                       ('{"kind": "harness-shard"}', "missing field 'schema_version'"),
                       (json.dumps({k: v for k, v in json.loads(bad.read_text()).items()
                                    if k != "runs"}), "missing field 'runs'")]:
        bad.write_text(text)
        assert f"error: {bad}: not a valid shard manifest (" in (err := refused(one, str(broken)))
        assert says in err
    lost = next(f for f in extra.glob("*.json") if not f.name.startswith("2000"))
    lost.unlink()  # the stray run stays: the folder still has run files
    assert f"error: shard 1/2 ({tmp_path / 'shard1' / 'shards' / 'shard-1-of-2.json'}): run " \
        in refused(one, two)


def test_shard_with_results_or_resume_is_refused(capsys):
    assert _gate("--results", "x", "--shard", "1/2") == 2
    assert "--shard: picks the part of the matrix to train, with --run" in capsys.readouterr().err
    assert _gate("--run", "--shard", "") == 2  # an unset CI variable: never the whole matrix
    assert "--shard : expected K/N" in capsys.readouterr().err
    for where in (["--jobs", "2"], ["--cluster", "tcp://127.0.0.1:8786"]):
        assert _gate("--results", "x", *where) == 2
        assert f"error: {where[0]}: says where the CI schedule trains, with --run" in \
            capsys.readouterr().err
    assert main(["run", str(GOOD), "--resume", "--shard", "1/2"]) == 2
    assert "--shard: picks part of a matrix of new runs; drop --resume" in \
        capsys.readouterr().err


def test_run_shards_split_the_seeds(tmp_path, capsys):
    common = ["run", str(GOOD), "--data", str(TINY), "--seed", "0", "--seeds", "3", "--jobs", "1"]
    assert main([*common, "--shard", "2/2", "--out", str(tmp_path)]) == 0
    runs = [json.loads(f.read_text()) for f in (tmp_path / "tiny_rnn" / "runs").glob("*.json")]
    assert [r["execution"]["seed"] for r in runs] == [1]
    manifest = json.loads((tmp_path / "shards" / "shard-2-of-2.json").read_text())
    assert [t["seed"] for t in manifest["tasks"]] == [0, 1, 2]
