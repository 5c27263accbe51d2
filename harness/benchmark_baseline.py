"""pytest-benchmark's first comparison: with nothing stored, save a baseline instead of failing.

pytest-benchmark ends a ``--benchmark-compare-fail`` run with a ``pytest.UsageError`` (exit 4)
when its storage holds no earlier run, and saves nothing, so the comparison can never get
started; ``--benchmark-compare`` alone only warns, and saves nothing either. This hook turns the
first run into the baseline: when a comparison is asked for and the storage has no saved run
(for this machine, where pytest-benchmark looks), it turns the comparison off for this run,
warns ``no stored benchmark to compare against; saving this run as the baseline`` and turns on
``--benchmark-autosave``. The next run compares against it as asked. A storage that holds runs,
or a ``--benchmark-compare=ID`` that names none of them, keeps pytest-benchmark's own behaviour.

tests/bench/conftest.py imports the hook; elsewhere, load it with
``-p harness.benchmark_baseline``.
"""

from __future__ import annotations

from typing import Any

NOTE = "no stored benchmark to compare against; saving this run as the baseline"


def start_baseline_if_storage_is_empty(config: Any) -> bool:
    """Make this run the baseline when a comparison is asked for and nothing is stored.

    Returns:
        Whether it did (False without pytest-benchmark, with benchmarks disabled, without
        ``--benchmark-compare``/``--benchmark-compare-fail``, or with a stored run).
    """
    session = getattr(config, "_benchmarksession", None)
    if session is None or session.disabled or session.compared_mapping:
        return False
    if not (session.compare or session.compare_fail):
        return False
    if next(iter(session.storage.load()), None) is not None:
        return False  # runs are stored: a bad --benchmark-compare=ID is the user's to fix
    session.compare = False
    session.compare_fail = []
    if not (session.save or session.autosave):
        from pytest_benchmark.utils import get_tag

        session.autosave = get_tag()  # what --benchmark-autosave stores: counter_COMMIT_TIME
    session.logger.warning(f"{NOTE} (storage {session.storage})")
    return True


def pytest_collection_modifyitems(config, items) -> None:
    """After collection: pytest-benchmark has looked for a stored run by now (at configure),
    and saves and compares only when the session finishes."""
    start_baseline_if_storage_is_empty(config)
