"""Reading what a bench report is made from: a ``harness bench`` results file (typed as a
:class:`BenchResult`) and a pytest-benchmark JSON file (which remembers its path)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ...errors import ResultsError
from ...result_types import BenchLike, BenchResult
from ..options import portable_path


class PytestBenchmarkFile(dict[str, Any]):
    """A pytest-benchmark JSON document, and ``path``: where it was read from, as a report
    names it (relative to the working directory; see :func:`harness.bench.portable_path`)."""

    path: str | None = None


def load_pytest_benchmark(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a pytest-benchmark JSON file (``pytest --benchmark-json=PATH``); the document
    remembers its path (:class:`PytestBenchmarkFile`).

    Raises:
        ResultsError: the file is missing, broken JSON, or has no ``benchmarks`` list.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such pytest-benchmark JSON file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: cannot read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path}: line {exc.lineno}, column {exc.colno}: broken JSON "
                           f"({exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise ResultsError(f"{path}: not a pytest-benchmark JSON file (no 'benchmarks' list); "
                           "write one with pytest --benchmark-json=PATH")
    document = PytestBenchmarkFile(data)
    document.path = portable_path(path)
    return document


def load_bench(path: str | os.PathLike[str]) -> BenchResult:
    """Read a ``harness bench`` results file (:func:`harness.results.load_results`) as a typed
    :class:`BenchResult`.

    Raises:
        ResultsError: as :func:`harness.results.load_results`, a run's file given as a bench's,
            or a field of the wrong type; one line naming the file (and the field).
    """
    from pydantic import ValidationError

    from ...results import invalid_results, load_results

    data = load_results(path)
    if data.get("kind") != "bench":
        raise ResultsError(f"{path}: a run's results file, not a bench's; pass the "
                           "results.json of `harness bench` (reports/bench/results.json)")
    try:
        return BenchResult.model_validate(data)
    except ValidationError as exc:
        raise invalid_results(path, exc) from None


def as_bench(results: BenchLike) -> BenchResult:
    """``results`` as a :class:`BenchResult`; a raw document of the wrong shape is a one-line
    :class:`ResultsError` naming the field."""
    from pydantic import ValidationError

    from ...results import invalid_results

    try:
        return BenchResult.of(results)
    except ValidationError as exc:
        raise invalid_results("bench results", exc) from None


__all__ = ["PytestBenchmarkFile", "as_bench", "load_bench", "load_pytest_benchmark"]
