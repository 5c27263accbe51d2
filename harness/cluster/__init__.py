"""Training runs on a Dask distributed cluster: ``--cluster ADDRESS`` of ``run``, ``gate --run``
and ``calibrate``.

Why Dask distributed (and not Ray): the tasks here are whole training runs, each an ordinary
Python call that returns a results document, which is what Dask's futures are; its scheduler and
workers are two commands (``dask scheduler``, ``dask worker ADDRESS --nthreads 1``) and one pure
Python package, its nanny restarts a worker that dies and the scheduler gives the lost task to
another worker (``distributed.scheduler.allowed-failures`` times), and a worker can stream events
back to the client. Ray serves the same purpose but brings a much larger install, its own
object store and dashboard processes, which on 2-core CI machines cost more than the trainings
they run.

How a run goes:

* The client (this process) checks that every worker imports the harness and TensorFlow
  (:func:`prepare_worker`, which also sets each worker's TensorFlow threads to its share of its
  machine's cores) and runs one training at a time (``--nthreads 1``).
* Each task runs :func:`harness.pipeline.run_spec` in the worker's training process (a child of
  the worker, see below), in a scratch folder, with paths recorded relative to the client's
  project and the client's data settings (``HARNESS_IMDB_DATA``, ``HARNESS_JENA_DATA``,
  ``HARNESS_GLOVE``, ``HARNESS_DATA_DIR``: the data must be at the same path on every worker,
  or the worker's own copy is used). Each time the run rewrites its run file (after every
  epoch) the worker sends it back as an event.
* The returned document is written here exactly as a local run writes it: its run file, the
  spec's ``results.json``/``report.md`` (or the stopped run's report), the results store. The
  commit recorded is the client's (the code and specs submitted).
* A worker that dies (killed, out of memory, its machine gone) loses its task to another worker,
  which runs it again from the start with the same seed; the lost attempt is kept as a
  ``failed`` run with the epochs it finished. A task lost more often than the cluster allows is
  kept the same way and the others go on.
"""

from .client import (
    CONNECT_TIMEOUT_S,
    DATA_ENV,
    WORKERS_TIMEOUT_S,
    ClusterError,
    check_workers,
    connect,
    keep_run,
    run_on_cluster,
    task_key,
)
from .messages import TOPIC, WorkerTask
from .worker import prepare_worker, run_on_worker

__all__ = ["CONNECT_TIMEOUT_S", "DATA_ENV", "TOPIC", "WORKERS_TIMEOUT_S", "ClusterError",
           "WorkerTask", "check_workers", "connect", "keep_run", "prepare_worker",
           "run_on_cluster", "run_on_worker", "task_key"]
