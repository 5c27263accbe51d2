"""The benchmark report's older import path: everything here is :mod:`harness.bench.report`'s
(the report lives beside the bench that measures it). New code imports from there."""

from __future__ import annotations

from .bench.report import (
    CHART_PNG,
    MAX_LINE,
    PytestBenchmarkFile,
    bench_chart,
    chart_figure,
    cudnn_section,
    device_section,
    flops_section,
    headline_section,
    headline_table,
    inference_section,
    load_bench,
    load_pytest_benchmark,
    memory_section,
    method_section,
    pytest_benchmark_section,
    render_bench_report,
    targets_section,
    training_section,
    write_bench_report,
)

__all__ = ["CHART_PNG", "MAX_LINE", "PytestBenchmarkFile", "bench_chart", "chart_figure",
           "cudnn_section", "device_section", "flops_section", "headline_section",
           "headline_table", "inference_section", "load_bench", "load_pytest_benchmark",
           "memory_section", "method_section", "pytest_benchmark_section",
           "render_bench_report", "targets_section", "training_section", "write_bench_report"]
