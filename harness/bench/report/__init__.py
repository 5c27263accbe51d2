"""The benchmark report: Markdown and a chart from bench results (or a pytest-benchmark file).

``render_bench_report(results)`` gives the Markdown of a ``harness bench`` results document (see
:mod:`harness.bench`); ``write_bench_report`` also draws ``throughput.png``. The report leads
with the answer: one headline table (per spec and measured device: epoch time per mode, the
``xla`` speed-up over the plain Keras script, the harness overhead, the committed full run's
accuracy in its band beside the published figure), a few one-line notes and the chart, all on
one screen; the method and the long tables follow, folded in ``<details>`` blocks.

Rules the layout keeps (tests/test_bench_report.py checks them):

- every figure of a measurement comes from one run, the bench's own; a figure copied from
  another run (the committed full run's accuracy and epoch time) names the run file, relative
  to the project, and when it ran. A pytest-benchmark file is a separate run: the report names
  it, its time, and how far its train-epoch medians are from this run's, and repeats none of its
  figures (``harness report --benchmark-json FILE`` alone renders them);
- a device that was not measured is one line, never a column or rows of skipped cells;
- no absolute path, no file outside the project; published figures cite the book and the
  notebook (each spec's ``reference.source``);
- charts have linear axes from zero; no line is longer than :data:`MAX_LINE` characters.

One module per job: :mod:`.load` (the results and pytest-benchmark files), :mod:`.headline`,
:mod:`.timing` (method, targets, training, CPU vs GPU), :mod:`.models` (inference, memory,
FLOPs, cuDNN), :mod:`.chart`, :mod:`.render` (the document and the files written), with
:mod:`.lookups` for what they read off a results document.
"""

from __future__ import annotations

from .chart import CHART_PNG, bench_chart, chart_figure
from .headline import headline_section, headline_table
from .load import PytestBenchmarkFile, load_bench, load_pytest_benchmark
from .models import cudnn_section, flops_section, inference_section, memory_section
from .render import pytest_benchmark_section, render_bench_report, write_bench_report
from .timing import device_section, method_section, targets_section, training_section

MAX_LINE = 300  # the longest line the report writes (tables included)

__all__ = ["CHART_PNG", "MAX_LINE", "PytestBenchmarkFile", "bench_chart", "chart_figure",
           "cudnn_section", "device_section", "flops_section", "headline_section",
           "headline_table", "inference_section", "load_bench", "load_pytest_benchmark",
           "memory_section", "method_section", "pytest_benchmark_section",
           "render_bench_report", "targets_section", "training_section", "write_bench_report"]
