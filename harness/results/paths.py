"""Paths as a results document records them: never the machine's absolute path.

A file under the project (the working directory the harness runs in, or :data:`PROJECT_ROOT`)
is recorded relative to it, in POSIX form (``specs/imdb_lstm.yaml``); a file outside it by its
name alone (``aclImdb_v1_labeled.tar.gz``), which with its sha256 (``data.checksum``, the gate's
data identity) says which file it was. This holds for ``spec.path``, ``options.data``,
``data.source`` (``archive:aclImdb_v1_labeled.tar.gz``), ``data.file`` and a pretrained
Embedding's ``file``.
"""

from __future__ import annotations

import contextvars
import os
from pathlib import Path, PurePath
from typing import Any

# The project that paths are recorded relative to: the working directory, unless a run made on
# a cluster worker records them as the submitting machine would (harness.cluster sets it).
PROJECT_ROOT: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "harness_project_root", default=None)

SOURCE_KINDS = ("archive", "folder", "file")  # data sources that name a path


def relative_to_project(path: str | os.PathLike, root: str | os.PathLike | None = None
                        ) -> str | None:
    """``path`` relative to ``root`` (default: :data:`PROJECT_ROOT`, else the working
    directory), POSIX form, when it is under it; None when it is outside. Compared as written
    (``..`` resolved, links not followed), so ``/x/project/../shared/f`` is outside
    ``/x/project``."""
    if root is None:
        root = PROJECT_ROOT.get() or os.getcwd()
    base = os.path.abspath(root)
    full = os.path.abspath(os.path.join(base, os.fspath(path)))
    if full != base and not full.startswith(base.rstrip(os.sep) + os.sep):
        return None
    return Path(os.path.relpath(full, base)).as_posix()


def recorded_path(path: str | os.PathLike, root: str | os.PathLike | None = None) -> str:
    """How a results document names a file: relative to the project when under it
    (``specs/imdb_lstm.yaml``), else its file name alone (``aclImdb_v1.tar.gz``: the sha256
    beside it says which file it was); never the machine's absolute path."""
    inside = relative_to_project(path, root)
    if inside is not None:
        return inside
    return PurePath(os.fspath(path).replace("\\", "/")).name or os.fspath(path)


def shown_path(path: str | os.PathLike, root: str | os.PathLike | None = None) -> str:
    """How a verdict or message names a file the reader may act on (``harness calibrate
    <spec>``): relative to the project when under it, else as given."""
    return relative_to_project(path, root) or os.fspath(path)


def recorded_source(source: str | None, root: str | os.PathLike | None = None) -> str | None:
    """A data source (``archive:<path>``, ``folder:<path>``, ``file:<path>``, or a name such as
    ``keras.datasets.imdb``) with its path as :func:`recorded_path` records it."""
    if not source:
        return source
    kind, sep, rest = str(source).partition(":")
    if sep and kind in SOURCE_KINDS and rest:
        return f"{kind}:{recorded_path(rest, root)}"
    return source


def recorded_data(data: dict[str, Any], root: str | os.PathLike | None = None
                  ) -> dict[str, Any]:
    """A results document's ``data`` section with its paths as recorded: the source, a data
    file (``file``) and each pretrained Embedding's ``file``."""
    data = dict(data)
    if isinstance(data.get("source"), str):
        data["source"] = recorded_source(data["source"], root)
    if isinstance(data.get("file"), str):
        data["file"] = recorded_path(data["file"], root)
    if isinstance(data.get("pretrained"), dict):
        data["pretrained"] = {
            name: ({**info, "file": recorded_path(info["file"], root)}
                   if isinstance(info, dict) and isinstance(info.get("file"), str) else info)
            for name, info in data["pretrained"].items()}
    return data


__all__ = ["PROJECT_ROOT", "SOURCE_KINDS", "recorded_data", "recorded_path", "recorded_source",
           "relative_to_project", "shown_path"]
