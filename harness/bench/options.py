"""What ``harness bench`` is asked to measure: its options, defaults and targets, and how its
results name files (relative to the project, never by the machine's absolute path)."""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..machine import DEVICES, MATMUL_N

DEFAULT_TRAIN_SAMPLES = 2560  # 2,048 train + 512 validation at validation_split 0.2: whole batches
LATENCY_BATCH_SIZES = (1, 128)
OVERHEAD_TARGET = 1.03
SPEEDUP_TARGET = 1.5
BENCH_KIND = "bench"
# What a train-epoch figure is, as the pytest-benchmark tests record it (extra_info "clock"):
# the report compares only figures of this measurement. The text is data (it is in committed
# pytest-benchmark files): it names the clock where it was first defined.
EPOCH_CLOCK = "harness.bench HarnessTraining.clock: the epoch inside fit, validation included"


@dataclass(frozen=True)
class BenchOptions:
    """Options of ``harness bench``.

    Attributes:
        devices: ``cpu`` and/or ``gpu``.
        modes: execution modes, keys of :data:`harness.train.EXECUTION_MODES`.
        train_samples: the first N training reviews (train + validation); None: all 25,000.
        rounds: trials per spec x device x variant, interleaved.
        timed_epochs: epochs timed after the warm-up epoch in each trial.
        latency_repeats: timed ``predict_on_batch`` calls per batch size (after 3 warm-up calls).
        latency_batch_sizes: batch sizes of the latency measurement.
        matmul_n: size of the square float32 matrices whose product measures the machine rate.
        data: the Stanford archive or folder (None: $HARNESS_IMDB_DATA, then Keras's download).
        out: folder of ``results.json``, ``report.md`` and the chart.
        reports: folder of the committed full runs (``<reports>/<spec>/results.json``), read for
            the accuracy side of the speed-up target.
        benchmark_json: a pytest-benchmark JSON file to add to the report.
    """

    devices: tuple[str, ...] = ("cpu", "gpu")
    modes: tuple[str, ...] = ("default", "xla")
    train_samples: int | None = DEFAULT_TRAIN_SAMPLES
    rounds: int = 4
    timed_epochs: int = 1
    latency_repeats: int = 20
    latency_batch_sizes: tuple[int, ...] = LATENCY_BATCH_SIZES
    matmul_n: int = MATMUL_N
    data: str | None = None
    out: str = "reports/bench"
    reports: str = "reports"
    benchmark_json: str | None = None


def _parse_list(text: str, option: str, what: str, known: Collection[str]) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise UsageError(f"{option}: unknown {what} {', '.join(unknown) or '(none)'}; "
                         f"use a comma-separated list of {', '.join(known)}")
    return names


def parse_devices(text: str) -> tuple[str, ...]:
    """``"cpu,gpu"`` -> ``("cpu", "gpu")``.

    Raises:
        UsageError: an unknown device name, or none given.
    """
    return _parse_list(text, "--devices", "device", DEVICES)


def parse_modes(text: str) -> tuple[str, ...]:
    """``"default,xla"`` -> ``("default", "xla")``.

    Raises:
        UsageError: an unknown execution mode, or none given.
    """
    from ..train import EXECUTION_MODES

    return _parse_list(text, "--modes", "execution mode", EXECUTION_MODES)


def portable_path(path: str | os.PathLike[str]) -> str:
    """A path as a results file records it: relative to the working directory (the project,
    for ``tox -e bench``) when it lies under it, else the file's name alone; never absolute."""
    path = Path(path)
    if not path.is_absolute():
        path = Path.cwd() / path
    path = Path(os.path.normpath(path))
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        try:
            return path.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return path.name


def portable_source(source: str) -> str:
    """A data source (``archive:PATH``, ``folder:PATH``, ``file:PATH``) with its path made
    portable (:func:`portable_path`); the data's checksum, recorded beside it, names the data."""
    kind, sep, rest = source.partition(":")
    if sep and rest and (os.path.isabs(rest) or rest.startswith(".")):
        return f"{kind}:{portable_path(rest)}"
    return source


__all__ = ["BENCH_KIND", "DEFAULT_TRAIN_SAMPLES", "EPOCH_CLOCK", "LATENCY_BATCH_SIZES",
           "OVERHEAD_TARGET", "SPEEDUP_TARGET", "BenchOptions", "parse_devices", "parse_modes",
           "portable_path", "portable_source"]
