"""Fixtures of the opt-in benchmarks: the real reviews, sliced, loaded once per spec; and
pytest-benchmark's first ``--benchmark-compare`` run saved as the baseline instead of failing on
an empty storage (:mod:`harness.benchmark_baseline`)."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest

from harness.bench import DEFAULT_TRAIN_SAMPLES, load_bench_data
from harness.benchmark_baseline import pytest_collection_modifyitems  # noqa: F401 (a hook)

# The slice the benchmarks train on; HARNESS_BENCH_TRAIN_SAMPLES changes it (runs with different
# slices are not comparable with --benchmark-compare).
TRAIN_SAMPLES = int(os.environ.get("HARNESS_BENCH_TRAIN_SAMPLES", DEFAULT_TRAIN_SAMPLES))


@pytest.fixture(autouse=True)
def _seeded():
    """Seed every benchmark; unlike the unit tests, keep the user's encoded-data cache (encoding
    the 50,000 reviews again would take longer than most benchmarks)."""
    random.seed(0)
    np.random.seed(0)


@pytest.fixture(scope="session")
def bench_data(real_archive):
    """``bench_data(spec)``: the spec's data, the first TRAIN_SAMPLES training reviews."""
    loaded = {}

    def get(spec):
        if spec.name not in loaded:
            loaded[spec.name] = load_bench_data(spec, str(real_archive), TRAIN_SAMPLES)
        return loaded[spec.name]

    return get
