"""Seeds per minute of the gate's CI schedule: one process after the other (``--jobs 1``),
worker processes (``--jobs 2``) and a local Dask cluster of two workers (``--cluster``),
measured in one run on this machine.

Opt-in (``tox -e throughput``, 10-20 minutes on 2 cores: the SimpleRNN's ci.seeds each way).
It prints the ratio and writes it to reports/gate/seeds_per_minute.md; it never asserts a speed
(shared machines are noisy), only that both ways ran every seed to completion.
"""

from __future__ import annotations

import time

import pytest
from support import ROOT

from harness.comparable import device_of
from harness.parallel import Engine, Task, run_tasks
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
    engines = {"--jobs 1": Engine(jobs=1), "--jobs 2": Engine(jobs=2)}
    cluster = None
    try:
        import distributed  # noqa: F401
        from dask_cluster import LocalCluster

        cluster = LocalCluster(tmp_path / "cluster")  # started before the clock: a running one
        engines["--cluster"] = Engine(cluster=cluster.address)
    except ImportError:
        print("\nDask distributed is not installed: no --cluster figure")
    rates, runs = {}, {}
    try:
        for name, engine in engines.items():
            options = RunOptions.for_ci(spec, data=str(real_archive),
                                        out=str(tmp_path / name.replace(" ", "")))
            start = time.perf_counter()  # worker start-up (TensorFlow import) included
            runs[name] = run_tasks([Task(spec, options, s) for s in seeds], engine)
            rates[name] = len(seeds) / ((time.perf_counter() - start) / 60)
    finally:
        if cluster is not None:
            cluster.stop()
    for name, done in runs.items():
        assert [r.execution.seed for r in done] == seeds, name
        assert all(r.status == "complete" for r in done), name
    machine = device_of(runs["--jobs 1"][0].environment)
    described = {
        "--jobs 1": "one process, one seed after the other",
        "--jobs 2": "two processes, one TensorFlow thread each",
        "--cluster": "a local Dask scheduler and two workers (--nthreads 1, one TensorFlow "
                     "thread each), started before the clock",
    }
    text = (f"# Seeds per minute of the gate\n\n{spec.name}, CI schedule, seeds "
            f"{seeds[0]}-{seeds[-1]}, {machine}, measured in one run:\n\n"
            + "".join(f"- {name} ({described[name]}): {rate:.2f} seeds/min "
                      f"({rate / rates['--jobs 1']:.2f}x --jobs 1)\n"
                      for name, rate in rates.items()))
    print("\n" + text)
    write_text_atomic(ROOT / "reports" / "gate" / "seeds_per_minute.md", text)
