"""The ``harness`` command: ``run``, ``validate``, ``verify``, ``bench``, ``report``, ``gate``,
``calibrate``, ``history``, ``publish``.

Every user error is a :class:`harness.errors.HarnessError`, caught here in one place and printed
as ``error: ...`` without a traceback (``--debug`` re-raises it). TensorFlow is imported only by
the subcommands that build models: ``harness --help`` and ``harness validate`` stay fast.
``-q``/``-v`` (before or after the command) set :mod:`harness.verbosity` for the command;
``--json`` (validate, verify, gate) prints one document on standard output
(:func:`.common.print_json`) and nothing else there.

One module per command (``validate``, ``verify``, ``run``, ``bench``, ``report``, ``gate``,
``calibrate``), each with its ``cmd_*`` function and its ``add_parser``; :mod:`.options` holds the
parser pieces they share and :mod:`.common` the rest. ``history`` and ``publish`` are
:mod:`harness.history`'s.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from .. import __version__
from ..errors import HarnessError, SpecError, error_line
from ..verbosity import NORMAL, verbosity
from . import bench, calibrate, gate, report, run, validate, verify
from .common import DEFAULT_BASELINE, DEFAULT_SPECS, set_debug
from .options import Parser, subparser_class, verbosity_options


def build_parser() -> argparse.ArgumentParser:
    """The ``harness`` parser with every subcommand, in the order ``--help`` lists them."""
    parser = Parser(
        prog="harness",
        description="Validate, build, verify, train and report Keras reference models "
        "declared in spec files.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    verbosity_options(parser, default=NORMAL)
    # -q/-v also after the command (harness run -q ...): a subcommand's copy leaves the value
    # alone unless given (argparse.SUPPRESS), so `harness -q run` stays quiet
    common = argparse.ArgumentParser(add_help=False)
    verbosity_options(common, default=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=subparser_class(common))
    for command in (validate, verify, run, bench, report, gate, calibrate):
        command.add_parser(sub)
    from ..history.command import add_parser as add_history_parser

    add_history_parser(sub)
    from ..history.publish import add_parser as add_publish_parser

    add_publish_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 failure, 2 usage or spec error, 3 the gate
    had no comparable baseline for a gated metric, 130 Ctrl-C)."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # argparse would blame `harness`; the options belong to the command
        parser.exit(2, f"error: harness {args.command}: unrecognized arguments: "
                    f"{' '.join(unknown)} (see harness {args.command} --help)\n")
    set_debug(args.debug)
    try:
        with verbosity(args.verbosity):
            code: int = args.func(args)
            return code
    except SpecError as exc:
        if args.debug:
            raise
        print(error_line(exc), file=sys.stderr)
        return exc.exit_code
    except HarnessError as exc:
        if args.debug:
            raise
        print(error_line(exc), file=sys.stderr)
        table = getattr(exc, "table", "")
        if table:
            print(table, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("error: interrupted", file=sys.stderr)
        return 130


class ReaderMayLeave:
    """Standard output that survives its reader going away (``harness gate ... | head -3``): the
    rest of the output goes to the null device, and the command finishes its work (files,
    verdicts, runs) and keeps its own exit code."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._reader_left()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._reader_left()

    def _reader_left(self) -> None:
        os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def entry_point() -> None:
    """The ``harness`` console script: :func:`main` with a standard output that may lose its
    reader."""
    sys.stdout = ReaderMayLeave(sys.stdout)
    code = main()
    sys.stdout.flush()
    sys.exit(code)


__all__ = ["DEFAULT_BASELINE", "DEFAULT_SPECS", "ReaderMayLeave", "build_parser", "entry_point",
           "main"]
