"""What goes into the results store: the files ``harness history import`` reads, each document
upgraded to this harness's results schema and type-checked first, and which of two copies of a
run got further.

A run file is rewritten after every epoch (status ``running``) and once more at the end: a later
copy of the same run replaces the stored one only when it got further (:func:`stage`). Nothing
here touches a database.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import ResultsError, UsageError
from .documents import GATE, DocumentError, kind_of

RUNNING = "running"


def files_to_import(path: str | os.PathLike) -> list[Path]:
    """The results files under ``path``: every run file (``runs/*.json``), then every
    ``results.json``; ``path`` itself when it is a file. Hidden files (a write's temp file) are
    left out; each file is listed once.

    Raises:
        UsageError: ``path`` is not a folder or a file.
    """
    root = Path(path)
    if root.is_file():
        files = [root]
    elif root.is_dir():
        files = sorted(root.glob("*.json")) if root.name == "runs" else []
        files += sorted(root.rglob("runs/*.json"))
        files += sorted(root.rglob("results.json"))
    else:
        raise UsageError(f"{root}: no such folder; pass the reports folder (reports/)")
    return list(dict.fromkeys(f for f in files if not f.name.startswith(".")))


def checked_document(document: Any, source: str | None) -> dict[str, Any]:
    """A results document upgraded to this harness's results schema and type-checked.

    Raises:
        DocumentError: it is not a results document, is of a newer schema, or a field has
            the wrong type.
    """
    from ..results import SCHEMA_VERSION, check_results, upgrade

    if not isinstance(document, dict):
        raise DocumentError(f"not a results document (a JSON {type(document).__name__})")
    if kind_of(document) == GATE:
        return document
    version = document.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise DocumentError(f"not a harness results document (schema_version {version!r})")
    if version > SCHEMA_VERSION:
        raise DocumentError(f"written with results schema {version}, this harness reads up to "
                            f"{SCHEMA_VERSION}; upgrade keras-harness to record it")
    try:
        document = upgrade(document)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise DocumentError(f"cannot upgrade it from results schema {version} ({exc})") from None
    try:
        check_results(document, source or "document")
    except ResultsError as exc:
        raise DocumentError(without_path(exc, source or "document")) from None
    return document


def without_path(exc: Exception, path: str | os.PathLike) -> str:
    """An error's message on one line without the leading ``PATH: `` (the summary names the
    file)."""
    message = " ".join(str(exc).split())
    prefix = f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def stage(epochs_done: int | None, status: str | None) -> tuple[int, bool]:
    """How far a copy of a run got: epochs done, then finished (not ``running``); a copy
    replaces a stored one only at a later stage."""
    return (epochs_done or 0, status != RUNNING)


__all__ = ["RUNNING", "checked_document", "files_to_import", "stage", "without_path"]
