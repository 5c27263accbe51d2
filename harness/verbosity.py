"""How much the harness prints: ``harness -q`` (quiet), the default, ``harness -v`` (verbose).

One setting for the whole process and the worker processes it starts: the CLI sets it with
:func:`verbosity` around a command, and every progress line goes through :func:`say` with the
level it belongs to. Results (tables, verdicts, summaries, ``--json`` documents) go where they
always went; errors are the CLI's (``error: ...`` on standard error) and are never silenced.

- :data:`QUIET` (``-q``): errors, and the final verdict or summary line of each command (``N of
  M spec(s) verified``, ``test: ...``/``report: ...`` of a run, the gate's first verdict line and
  ``gate: pass``); no per-layer tables, no per-epoch progress.
- :data:`NORMAL`: what the harness printed before the setting existed.
- :data:`VERBOSE` (``-v``): more detail: Keras's own ``fit``/``evaluate`` lines, each data
  contract check, each layer's figures while a run verifies its model. TensorFlow's start-up log
  stays silenced unless ``--debug``.

The setting is an environment variable, :data:`VERBOSITY_ENV`, so that worker processes
(``--jobs``; started with ``spawn``) inherit it as they inherit ``HARNESS_TF_LOGS``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

QUIET, NORMAL, VERBOSE = 0, 1, 2
VERBOSITY_ENV = "HARNESS_VERBOSITY"
_NAMES = {"quiet": QUIET, "normal": NORMAL, "verbose": VERBOSE}


def level() -> int:
    """The current setting: :data:`QUIET`, :data:`NORMAL` (also for an unknown value) or
    :data:`VERBOSE`."""
    return _NAMES.get(os.environ.get(VERBOSITY_ENV, ""), NORMAL)


def shows(at: int) -> bool:
    """Whether lines of level ``at`` are printed now (``shows(VERBOSE)``: only with ``-v``)."""
    return level() >= at


@contextmanager
def verbosity(at: int) -> Iterator[None]:
    """Set the verbosity for the ``with`` block (and the processes started in it), then put back
    what was there: ``harness`` commands run in one test process do not leak it to the next."""
    name = next(k for k, v in _NAMES.items() if v == at)
    before = os.environ.get(VERBOSITY_ENV)
    os.environ[VERBOSITY_ENV] = name
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(VERBOSITY_ENV, None)
        else:
            os.environ[VERBOSITY_ENV] = before


def say(text: str, stream: TextIO | None = None, at: int = NORMAL) -> None:
    """Print a line (to ``stream``, default standard output) when the verbosity shows level
    ``at``: :data:`NORMAL` for progress, :data:`QUIET` for a summary that ``-q`` keeps,
    :data:`VERBOSE` for detail."""
    if shows(at):
        print(text, file=stream or sys.stdout, flush=True)


def keras_verbose() -> int:
    """``verbose`` for Keras's ``fit``/``evaluate``: 2 (one line per epoch) with ``-v``, else 0
    (the harness prints its own epoch lines)."""
    return 2 if shows(VERBOSE) else 0


__all__ = ["NORMAL", "QUIET", "VERBOSE", "VERBOSITY_ENV", "keras_verbose", "level", "say",
           "shows", "verbosity"]
