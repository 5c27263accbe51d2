"""Sharded CI: ``--shard K/N`` trains a deterministic part of the matrix of (spec, seed) runs, so
that a CI matrix of ``N`` jobs covers it; ``harness gate --results`` merges the shards' runs into
one verdict and refuses shards that overlap or miss part of the matrix.

The part is chosen the same way on every machine: the matrix's tasks sorted by spec name and
seed, then dealt out in turn (task ``i`` of the sorted list goes to shard ``i mod N + 1``), so
each shard gets about ``1/N`` of every spec's seeds. Each shard writes a manifest,
``<out>/shards/shard-K-of-N.json``: the whole matrix (its sha256 is the matrix's identity: spec
hashes, schedules and seeds), the shard's own tasks and the run id each one made. Merging reads
only the runs the manifests name, so older run files in the same folders are never judged.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UsageError, first_line

if TYPE_CHECKING:  # pragma: no cover
    from .result_types import RunResult
    from .tasks import Task

KIND = "harness-shard"
SCHEMA_VERSION = 1
FOLDER = "shards"  # under --out


@dataclass(frozen=True)
class Shard:
    """The ``index``-th (from 1) of ``count`` parts of a matrix."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def file_name(self) -> str:
        return f"shard-{self.index}-of-{self.count}.json"


def parse_shard(text: str) -> Shard:
    """``K/N`` (``2/4``: the second of four parts).

    Raises:
        UsageError: not ``K/N`` with ``1 <= K <= N``.
    """
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match:
        raise UsageError(f"--shard {text}: expected K/N, e.g. 2/4 (the second of 4 parts)")
    index, count = int(match[1]), int(match[2])
    if count < 1:
        raise UsageError(f"--shard {text}: N must be at least 1 (the number of parts)")
    if not 1 <= index <= count:
        raise UsageError(f"--shard {text}: K must be between 1 and N (here K={index}, "
                         f"N={count})")
    return Shard(index, count)


def task_entry(task: Task) -> dict[str, Any]:
    """How a manifest names a task: spec name and hash, schedule, seed."""
    return {"spec": task.spec.name, "spec_hash": task.spec.content_hash(),
            "schedule": task.options.schedule_of(task.spec), "seed": task.seed}


def matrix_id(tasks: Sequence[Task]) -> str:
    """The sha256 of the matrix: the same specs, schedules and seeds give the same id."""
    entries = sorted((task_entry(t) for t in tasks), key=_order)
    return hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()


def _order(entry: dict[str, Any]) -> tuple[str, int]:
    return entry["spec"], entry["seed"]


def select(tasks: Sequence[Task], shard: Shard) -> list[Task]:
    """The tasks of ``shard``: sorted by spec name and seed, every ``N``-th from the ``K``-th."""
    ordered = sorted(tasks, key=lambda t: (t.spec.name, t.seed))
    return [t for i, t in enumerate(ordered) if i % shard.count == shard.index - 1]


def write_manifest(out: str | Path, shard: Shard, matrix: Sequence[Task],
                   runs: Sequence[tuple[Task, RunResult]]) -> Path:
    """Write ``<out>/shards/shard-K-of-N.json`` (atomically) for the runs this shard made."""
    from .results import utc_now, write_json_atomic

    doc = {
        "kind": KIND, "schema_version": SCHEMA_VERSION, "created_utc": utc_now(),
        "shard": str(shard), "index": shard.index, "count": shard.count,
        "matrix": matrix_id(matrix),
        "tasks": sorted((task_entry(t) for t in matrix), key=_order),
        "runs": [{**task_entry(task), "run_id": results.run_id} for task, results in runs],
    }
    return write_json_atomic(Path(out) / FOLDER / shard.file_name(), doc)


@dataclass(frozen=True)
class Manifest:
    """A shard's manifest as read back."""

    path: Path
    shard: Shard
    matrix: str
    tasks: list[dict[str, Any]]
    runs: list[dict[str, Any]]


def find_manifests(paths: Sequence[str | Path]) -> list[Manifest]:
    """The shard manifests in the given results folders (``shards/shard-*-of-*.json`` in each).
    Shards are merged alone: when any folder holds a manifest, every path must be a shard's
    folder, so that no run given beside them goes unjudged.

    Raises:
        UsageError: a manifest file given itself (its folder is what merges), a path without a
            manifest beside shard folders, a manifest that is not valid JSON or lacks a field.
    """
    for path in map(Path, paths):
        if path.parent.name == FOLDER and path.name.startswith("shard-") and path.is_file():
            raise UsageError(f"--results {path}: is a shard manifest; pass its shard's results "
                             f"folder ({path.parent.parent}) instead")
    # a list, not a dict by path: a folder given twice is two shards given (refused by merge)
    found = [(path, [read_manifest(f) for f in sorted(path.glob(f"{FOLDER}/shard-*-of-*.json"))]
              if path.is_dir() else []) for path in map(Path, paths)]
    manifests = [m for _, listed in found for m in listed]
    if manifests:
        for path, listed in found:
            if not path.exists():
                raise UsageError(f"--results {path}: no such results folder")
            if not listed:
                raise UsageError(
                    f"--results {path}: holds no shard manifest ({FOLDER}/shard-K-of-N.json), "
                    "given with the shards' folders; merge the shards alone and judge other "
                    "results in a gate of their own")
    return manifests


def read_manifest(path: Path) -> Manifest:
    """A shard's manifest file, checked.

    Raises:
        UsageError: not valid JSON, not a shard manifest of this schema, or a field missing.
    """
    try:
        doc = json.loads(path.read_text())
        if not isinstance(doc, dict) or doc.get("kind") != KIND:
            raise ValueError(f'no "kind": "{KIND}"')
        if doc["schema_version"] != SCHEMA_VERSION:
            raise ValueError(f"schema_version {doc['schema_version']!r}, this harness "
                             f"reads {SCHEMA_VERSION}")
        return Manifest(path, Shard(int(doc["index"]), int(doc["count"])), str(doc["matrix"]),
                        list(doc["tasks"]), list(doc["runs"]))
    except KeyError as exc:
        raise UsageError(f"{path}: not a valid shard manifest (missing field {exc})") from None
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(f"{path}: not a valid shard manifest ({first_line(exc)})") from None


def _label(entry: dict[str, Any]) -> str:
    return f"{entry['spec']} seed {entry['seed']}"


def merge(manifests: Sequence[Manifest], runs: Sequence[tuple[Path, RunResult]]
          ) -> list[tuple[Path, RunResult]]:
    """The runs the shards made, once each, after checking that the shards are all the parts
    of one matrix, each given once, and together name every task of it exactly once.

    Raises:
        UsageError: shards of different matrices, a shard given twice, a missing shard, a task
            in two shards or in none, a run a manifest names without its run file; one line
            each, naming the shards and tasks.
    """
    first = manifests[0]
    for m in manifests[1:]:
        if (m.matrix, m.shard.count) != (first.matrix, first.shard.count):
            raise UsageError(
                f"shards of different matrices: {first.path} (matrix {first.matrix[:12]}, "
                f"{first.shard.count} shards) and {m.path} (matrix {m.matrix[:12]}, "
                f"{m.shard.count} shards); merge the shards of one CI run")
    by_index: dict[int, Manifest] = {}
    for m in manifests:
        if m.shard.index in by_index:
            raise UsageError(f"shards overlap: shard {m.shard} is given twice "
                             f"({by_index[m.shard.index].path} and {m.path})")
        by_index[m.shard.index] = m
    missing = [f"{k}/{first.shard.count}" for k in range(1, first.shard.count + 1)
               if k not in by_index]
    if missing:
        given = ", ".join(str(by_index[k].shard) for k in sorted(by_index))
        raise UsageError(f"shards missing: {', '.join(missing)} (given: {given}); their runs "
                         "would not be judged: pass every shard's results folder")
    made: dict[tuple[str, int], Manifest] = {}
    for m in manifests:
        for entry in m.runs:
            key = (entry["spec"], entry["seed"])
            if key in made:
                raise UsageError(f"shards overlap: {_label(entry)} was trained by shard "
                                 f"{made[key].shard} ({made[key].path}) and shard {m.shard} "
                                 f"({m.path})")
            made[key] = m
    left = [_label(e) for e in first.tasks if (e["spec"], e["seed"]) not in made]
    if left:
        raise UsageError(f"shards miss part of the matrix: {', '.join(left[:5])}"
                         f"{f' and {len(left) - 5} more' if len(left) > 5 else ''} trained by "
                         "no shard (a shard job failed before writing its manifest?)")
    wanted = {e["run_id"]: (m, e) for m in manifests for e in m.runs}
    chosen: dict[str, tuple[Path, RunResult]] = {}
    for path, doc in runs:  # a run given twice (its file and its folder) counts once
        if doc.run_id in wanted:
            chosen.setdefault(str(doc.run_id), (path, doc))
    have = set(chosen)
    for run_id, (m, entry) in wanted.items():
        if run_id not in have:
            raise UsageError(f"shard {m.shard} ({m.path}): run {run_id} ({_label(entry)}) has "
                             "no run file among the results given")
    return list(chosen.values())


__all__ = ["Manifest", "Shard", "find_manifests", "matrix_id", "merge", "parse_shard",
           "read_manifest", "select", "task_entry", "write_manifest"]
