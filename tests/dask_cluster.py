"""A real local Dask cluster for the tests and benchmarks that need one (not a test module):
``dask scheduler`` and ``dask worker`` processes on loopback, started and stopped by the caller,
as a user starts them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

# The scheduler gives a task lost with its worker to another worker once; lost twice, the run
# is kept as failed (tests/test_cluster.py kills workers).
ALLOWED_FAILURES = "1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalCluster:
    """``dask scheduler`` and ``dask worker`` processes on loopback, as a user starts them."""

    def __init__(self, folder: Path, workers: int = 2, nthreads: int = 1,
                 worker_env: dict[str, str] | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.address = f"tcp://127.0.0.1:{free_port()}"
        env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": ALLOWED_FAILURES}
        self.processes = [subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", self.address.rsplit(":", 1)[1], "--no-dashboard"],
            cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        for _ in range(workers):
            self.processes.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", self.address,
                 "--nthreads", str(nthreads), "--no-dashboard", "--local-directory",
                 str(folder)],
                cwd=folder, env={**env, **(worker_env or {})}, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL))
        self.workers = workers
        import distributed  # the caller skips when it is not installed

        self.client = distributed.Client(self.address, timeout=60)
        self.wait_for_workers()

    def wait_for_workers(self) -> None:
        self.client.wait_for_workers(self.workers, timeout=120)

    def worker_pids(self) -> dict[str, int]:
        """Worker address -> the pid of the process that runs its tasks (not its nanny)."""
        return self.client.run(os.getpid, on_error="ignore")  # a dead one is left out

    def stop(self) -> None:
        self.client.close()
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
