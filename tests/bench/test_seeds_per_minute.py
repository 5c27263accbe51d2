"""Seeds per minute of the gate's CI schedule: one process after the other (today's gate,
``--jobs 1``) against worker processes (``--jobs 2``), measured in one run on this machine.

Opt-in (``tox -e throughput``, about 6 minutes on 2 cores: the SimpleRNN's ci.seeds each way).
It prints the ratio and writes it to reports/gate/seeds_per_minute.md; it never asserts a speed
(shared machines are noisy), only that both ways ran every seed to completion.
"""

from __future__ import annotations

import time

import pytest
from support import ROOT

from harness.comparable import device_of
from harness.parallel import Task, run_tasks
from harness.pipeline import RunOptions
from harness.results import write_text_atomic
from harness.spec import load_spec

pytestmark = pytest.mark.slow

FIRST_SEED = 100  # clear of the baseline's seeds


def test_seeds_per_minute(real_archive, tmp_path):
    from harness.data import load_data

    spec = load_spec(ROOT / "specs" / "imdb_simple_rnn.yaml")
    seeds = list(range(FIRST_SEED, FIRST_SEED + spec.ci.seeds))  # as many as the gate runs
    load_data(spec, real_archive)  # the encoded reviews cached before either way is timed
    rates, runs = {}, {}
    for jobs in (1, 2):
        options = RunOptions.for_ci(spec, data=str(real_archive), out=str(tmp_path / str(jobs)))
        start = time.perf_counter()
        runs[jobs] = run_tasks([Task(spec, options, s) for s in seeds], jobs)
        rates[jobs] = len(seeds) / ((time.perf_counter() - start) / 60)
    for jobs, done in runs.items():
        assert [r["execution"]["seed"] for r in done] == seeds, jobs
        assert all(r["status"] == "complete" for r in done), jobs
    machine = device_of(runs[1][0]["environment"])
    text = (f"# Seeds per minute of the gate\n\n{spec.name}, CI schedule, seeds "
            f"{seeds[0]}-{seeds[-1]}, {machine}, measured in one run:\n\n"
            f"- --jobs 1 (one process, one seed after the other: the gate before --jobs): "
            f"{rates[1]:.2f} seeds/min\n"
            f"- --jobs 2 (two processes, one TensorFlow thread each): {rates[2]:.2f} seeds/min\n"
            f"- ratio: {rates[2] / rates[1]:.2f}x\n")
    print("\n" + text)
    write_text_atomic(ROOT / "reports" / "gate" / "seeds_per_minute.md", text)
