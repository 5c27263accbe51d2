"""The one error root of the harness.

Every error a user can cause (a bad spec, a missing archive, a model that does not match its
spec) is a :class:`HarnessError`. ``cli.main`` catches it in one place and prints
``error: <message>`` on one line, without a traceback (``--debug`` shows it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .result_types import RunResult


class HarnessError(Exception):
    """Base class of every error the CLI reports as a one-line message.

    Attributes:
        exit_code: the process exit code ``harness`` returns for this error.
    """

    exit_code = 1


class UsageError(HarnessError):
    """A command-line argument that cannot be used (a wrong path, a bad option value)."""

    exit_code = 2


class SpecError(HarnessError):
    """A spec file that cannot be read or does not match the schema.

    The message lists every problem found in the file, one per line, each as
    ``FILE: field.path: what is wrong, got X``.
    """

    exit_code = 2

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = list(problems)
        super().__init__("\n".join(f"{path}: {p}" for p in self.problems))


class DataError(HarnessError):
    """A data set that is missing, corrupt, or does not fit the spec's data contract."""


class MissingDataFile(DataError):
    """A data file the spec needs is not on this machine (the Jena CSV, GloVe vectors, the
    reviews): the message names it and where users get it. ``harness run --skip-missing-data``
    lists such specs as skipped instead of stopping."""


class ArchitectureMismatch(HarnessError):
    """A built model whose output shapes or parameter counts differ from its spec.

    Attributes:
        table: a Markdown table of every differing row, expected vs actual.
    """

    def __init__(self, message: str, table: str = ""):
        self.table = table
        super().__init__(message)


class TrainingError(HarnessError):
    """Training that cannot go on: a NaN or infinite loss, an error inside TensorFlow.

    Attributes:
        results: the results document of the run so far (status ``nan_loss``, ``interrupted``),
            when there is one.
    """

    def __init__(self, message: str, results: RunResult | None = None):
        self.results = results
        super().__init__(message)


class RunInterrupted(TrainingError):
    """Ctrl-C or SIGTERM stopped training; the finished epochs are kept and can be resumed."""

    exit_code = 130  # the shell's code for a process stopped by SIGINT


class ResultsError(HarnessError):
    """A results file that is broken, from a newer schema, or cannot be written.

    Attributes:
        errno: the OS error number when a write failed (``errno.ENOSPC`` for a full disk).
    """

    def __init__(self, message: str, errno: int | None = None):
        self.errno = errno
        super().__init__(message)


def error_line(exc: HarnessError) -> str:
    """What the CLI prints for ``exc``: ``error: <message>``.

    One line: a message that quotes a multi-line library error is joined with "; ". Only a
    :class:`SpecError` keeps one line per problem, so that every problem of a file is listed.
    """
    text = str(exc)
    if not isinstance(exc, SpecError):
        text = joined_lines(text)
    return f"error: {text}"


def joined_lines(text: str) -> str:
    """``text`` on one line: its non-empty lines, stripped, joined with "; "."""
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())


def first_line(exc: BaseException, default: str | None = None) -> str:
    """The first line of an exception's message, blank lines and spaces around it dropped: what
    a one-line error quotes of a library's multi-line message (tarfile lists every compression
    it tried, one per line).

    Args:
        default: what an empty message gives; None: the exception type's name.
    """
    text = str(exc).strip()
    if text:
        return text.splitlines()[0]
    return type(exc).__name__ if default is None else default


class RegressionDetected(HarnessError):
    """The gate found a band miss or a regression against the baseline."""


class StoreError(HarnessError):
    """The results store (:mod:`harness.history`) cannot be opened, read or written: missing,
    corrupt, locked, written by a newer harness, unreachable; or a document it cannot record.
    One line, no password."""


class NoHistory(HarnessError):
    """The results store holds no runs (of a spec, or at all): ``harness history import
    reports/`` loads them."""


class NoBaseline(HarnessError):
    """A gated metric had no comparable baseline, so the gate could not judge it (a pass is
    never claimed without one); ``harness calibrate SPEC`` records one."""

    exit_code = 3
