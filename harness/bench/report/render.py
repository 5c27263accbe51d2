"""The benchmark report as one Markdown document, and the files :func:`write_bench_report`
writes: the headline first, then the folded sections, the environment last; or, for a
pytest-benchmark file alone, that file's figures."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ...formatting import cell, markdown_table
from ...report.sections import environment_section
from ...result_types import BenchLike
from ...results import write_text_atomic
from .chart import CHART_PNG, bench_chart
from .headline import headline_section
from .load import as_bench
from .lookups import details
from .models import cudnn_section, flops_section, inference_section, memory_section
from .timing import device_section, method_section, targets_section, training_section


def pytest_benchmark_section(data: dict[str, Any]) -> list[str]:
    """The figures of a pytest-benchmark file, for a report of that file alone."""
    rows = []
    for b in data.get("benchmarks") or []:
        stats = b.get("stats") or {}
        extra = b.get("extra_info") or {}
        rate = extra.get("samples_per_s")
        rows.append([b.get("name"), extra.get("spec", "-"), extra.get("device", "-"),
                     extra.get("mode", "-"), extra.get("measure", "-"),
                     cell(stats.get("median"), "{:.4f}"), cell(stats.get("iqr"), "{:.4f}"),
                     str(stats.get("rounds", "-")), cell(rate, "{:.0f}")])
    machine = data.get("machine_info") or {}
    commit = data.get("commit_info") or {}
    cpu = (machine.get("cpu") or {}).get("brand_raw") or machine.get("processor") or "-"
    return ["## pytest-benchmark", "",
            f"From `pytest --benchmark-json` ({data.get('datetime', '-')}, pytest-benchmark "
            f"{data.get('version', '-')}, CPU {cpu}, commit "
            f"{str(commit.get('id') or '-')[:12]}): one row per benchmark; median and IQR of "
            "its rounds.", "",
            markdown_table(rows, ["benchmark", "spec", "device", "mode", "measure", "median (s)",
                                  "IQR (s)", "rounds", "throughput (samples/s)"])
            if rows else "No benchmarks in the file.", ""]


def render_bench_report(results: BenchLike | None,
                        pytest_json: dict[str, Any] | None = None, chart: bool = True,
                        pytest_path: str | None = None) -> str:
    """The benchmark report in Markdown.

    Args:
        results: a ``harness bench`` results document, or None for a report of a
            pytest-benchmark file alone (then its figures are the report).
        pytest_json: a pytest-benchmark JSON document (:func:`load_pytest_benchmark`); beside
            bench results it is a separate run, named in one line, its figures not repeated.
        chart: link ``throughput.png`` (written beside the report by
            :func:`write_bench_report`).
        pytest_path: the pytest-benchmark file's path as the report names it (default: the
            path it was read from, else the one the results record, ``settings.benchmark_json``).
    """
    if results is None:
        lines = ["# Benchmarks: a pytest-benchmark run", ""]
        if pytest_json is not None:
            lines += pytest_benchmark_section(pytest_json)
        return "\n".join(lines)
    results = as_bench(results)
    path = (pytest_path or getattr(pytest_json, "path", None)
            or results.settings.benchmark_json)
    lines = headline_section(results, pytest_json, path, chart)
    lines += method_section(results)
    lines += targets_section(results)
    lines += training_section(results)
    lines += device_section(results)
    lines += inference_section(results)
    lines += memory_section(results)
    lines += flops_section(results)
    lines += cudnn_section(results)
    lines += details("Environment", [environment_section(results.environment), ""])
    return "\n".join(lines)


def write_bench_report(results: BenchLike | None, folder: str | os.PathLike,
                       pytest_json: dict[str, Any] | None = None,
                       pytest_path: str | None = None) -> Path:
    """Write ``report.md`` (and ``throughput.png`` for bench results) into ``folder``,
    atomically. Returns the report's path."""
    folder = Path(folder)
    bench = None if results is None else as_bench(results)
    has_chart = bench is not None and bool(bench.comparisons)
    if bench is not None and has_chart:
        write_text_atomic(folder / CHART_PNG, bench_chart(bench))
    return write_text_atomic(folder / "report.md",
                             render_bench_report(bench, pytest_json, chart=has_chart,
                                                 pytest_path=pytest_path))


__all__ = ["pytest_benchmark_section", "render_bench_report", "write_bench_report"]
