"""Recording each finished run, bench and gate verdict into the results store as it happens.

The run files stay the committed record; the store is a copy for history queries, so a store
that is missing, locked, corrupt, newer or unreachable costs one warning line and never the run:
the run file is already written, and ``harness history import`` can load it later.
``HARNESS_DB=off`` turns recording off; then nothing of the store (nor SQLAlchemy) is imported.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, TextIO

OFF = ("off", "none", "0", "false")
RECORD_TIMEOUT_S = 5.0  # a run waits this long for a busy store, then warns and goes on


def recording() -> bool:
    """Whether runs are recorded (``HARNESS_DB`` is not ``off``)."""
    from .location import ENV_VAR  # not the store: that would import SQLAlchemy

    return os.environ.get(ENV_VAR, "").strip().lower() not in OFF


def record(document: dict[str, Any], source: str | os.PathLike | None = None,
           stream: TextIO | None = None) -> bool:
    """Record ``document`` (a results, bench or gate document) into the default store.

    Args:
        document: the document as written to ``source``.
        source: the file it was written to (kept as the row's source path).
        stream: where a warning goes (default: standard error).

    Returns:
        True when recorded (new or further along than the stored copy); False when already
        there, recording is off, or the store failed (one ``warning:`` line was printed).
    """
    if not recording():
        return False
    from ..errors import StoreError, joined_lines
    from .store import open_store

    try:
        with open_store(timeout_s=RECORD_TIMEOUT_S) as store:
            return store.record(document, source)
    except StoreError as exc:
        if source is not None and Path(source).suffix == ".json":
            kept = (f"{Path(source).as_posix()} is written; `harness history import` loads it "
                    "later")
        elif source is not None:  # a verdict's Markdown: the file keeps it, the history not
            kept = f"{Path(source).as_posix()} is written, but not kept in the history"
        else:
            kept = "not kept in the history"
        print(f"warning: results history not updated: {joined_lines(str(exc))}"
              f" ({kept}; HARNESS_DB=off stops recording)", file=stream or sys.stderr)
        return False
