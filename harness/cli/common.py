"""What the ``harness`` subcommands share: default folders, the ``--debug`` switch, TensorFlow's
quiet start, spec discovery, ``--json`` output and the training engine (``--jobs``/``--cluster``).
Nothing here imports TensorFlow."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from ..parallel import Engine

DEFAULT_SPECS = "specs"
DEFAULT_BASELINE = "reports/baseline"

_debug = False  # harness --debug: tracebacks, and TensorFlow's start-up lines left alone


def set_debug(on: bool) -> None:
    """``harness --debug``: TensorFlow's start-up lines left alone (:func:`quiet_tensorflow`)."""
    global _debug
    _debug = on


def quiet_tensorflow(now: bool = True) -> None:
    """Before TensorFlow is imported: its process settings, then (``now``) the import itself,
    its start-up lines silenced unless --debug (:mod:`harness.tfsetup`). Commands that may train
    in worker processes only (gate --run, calibrate) leave the import to where training runs."""
    from ..tfsetup import LOGS_ENV, configure, import_quietly

    if _debug:
        os.environ[LOGS_ENV] = "1"
    configure()
    if now:
        import_quietly()


def spec_paths(given: Sequence[str]) -> list[Path]:
    """The spec files of the files and folders given (default: ``specs/``).

    Raises:
        UsageError: no spec file among them.
    """
    from ..spec import discover_specs

    paths = discover_specs(given or [DEFAULT_SPECS])
    if not paths:
        raise UsageError(f"no spec files found in {', '.join(given or [DEFAULT_SPECS])}")
    return paths


def print_json(document: dict[str, Any]) -> None:
    """A ``--json`` document (validate, verify, gate): the only thing on standard output."""
    import json

    print(json.dumps(document, indent=2, allow_nan=False, default=str))


def make_engine(args: argparse.Namespace) -> Engine:
    """Where seeds train: ``--jobs N`` local processes or a ``--cluster ADDRESS``."""
    from ..parallel import Engine

    return Engine(jobs=args.jobs, cluster=args.cluster)


__all__ = ["DEFAULT_BASELINE", "DEFAULT_SPECS", "make_engine", "print_json", "quiet_tensorflow",
           "set_debug", "spec_paths"]
