"""The machine a bench runs on: its devices, peak memory, and float32 matrix-multiply rate.

Which GPUs TensorFlow sees is :mod:`harness.devices`'s to say (``gpu_visible`` is re-exported
here for the bench). TensorFlow is imported inside the functions that need it.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .devices import gpu_visible, no_gpu_detail, visible_gpus
from .flops import matmul_flops

DEVICES = {"cpu": "/CPU:0", "gpu": "/GPU:0"}
MATMUL_N = 2048  # NumPy multiplies these at about 234 GFLOP/s on our 2-core CI machines
# A GPU finishes a 2048 x 2048 product in well under a millisecond, about the cost of launching
# it and reading the result back: larger products measure its arithmetic rate instead.
GPU_MATMUL_N = 8192


# ---------------------------------------------------------------------------------------------
# Devices


@dataclass(frozen=True)
class DeviceStatus:
    """A requested device.

    Attributes:
        name: ``cpu`` or ``gpu``.
        tf_device: the TensorFlow device name, e.g. ``/GPU:0``.
        available: whether TensorFlow sees it.
        reason: why it is skipped, short enough for a table cell (``no GPU visible``).
        detail: how that was found out.
    """

    name: str
    tf_device: str
    available: bool
    reason: str | None = None
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"device": self.name, "tf_device": self.tf_device,
                "status": "ok" if self.available else "skipped", "reason": self.reason,
                "detail": self.detail}


def device_statuses(names: Sequence[str]) -> list[DeviceStatus]:
    """Which of the requested devices TensorFlow sees (:func:`harness.devices.visible_gpus`);
    a missing one carries the reason."""
    out = []
    for name in names:
        if name == "cpu" or visible_gpus():
            out.append(DeviceStatus(name, DEVICES[name], True))
            continue
        out.append(DeviceStatus(name, DEVICES[name], False, "no GPU visible", no_gpu_detail()))
    return out


# ---------------------------------------------------------------------------------------------
# Memory


def _proc_status_bytes(key: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024  # reported in kB
    except (OSError, ValueError, IndexError):
        pass
    return None


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux ``clear_refs``); False if not."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_bytes() -> int:
    """Peak resident set size (bytes): since the last :func:`reset_peak_rss`, else lifetime."""
    peak = _proc_status_bytes("VmHWM")
    if peak is not None:
        return peak
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss if sys.platform == "darwin" else maxrss * 1024  # bytes on macOS, KiB on Linux


class PeakMemory:
    """Peak host RSS and (on a GPU) peak device memory over a ``with`` block, in bytes.

    Attributes (after the block):
        host_peak_bytes: peak RSS of the process during the block (memory the process already
            held counts: TensorFlow keeps freed memory for reuse).
        host_before_bytes: RSS when the block began.
        host_scope: ``block`` when the peak was reset at the start, else ``process``.
        device_peak_bytes: ``get_memory_info(...)["peak"]`` of the GPU, None on the CPU.
    """

    def __init__(self, device: str):
        self.device = device
        self.host_peak_bytes: int | None = None
        self.host_before_bytes: int | None = None
        self.host_scope = "process"
        self.device_peak_bytes: int | None = None

    def __enter__(self) -> PeakMemory:
        self.host_scope = "block" if reset_peak_rss() else "process"
        self.host_before_bytes = _proc_status_bytes("VmRSS")
        if self.device == "gpu":
            import tensorflow as tf

            tf.config.experimental.reset_memory_stats("GPU:0")
        return self

    def __exit__(self, *exc: object) -> None:
        self.host_peak_bytes = peak_rss_bytes()
        if self.device == "gpu":
            import tensorflow as tf

            self.device_peak_bytes = int(tf.config.experimental.get_memory_info("GPU:0")["peak"])


# ---------------------------------------------------------------------------------------------
# The machine's matrix-multiply rate


def numpy_matmul_gflops(n: int = MATMUL_N, repeats: int = 5) -> float:
    """Best rate (GFLOP/s) of NumPy's float32 (n, n) x (n, n) product over ``repeats`` tries."""
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    c = np.empty_like(a)
    np.matmul(a, b, out=c)  # warm-up: thread pool start, page faults
    best = min(timed_call(lambda: np.matmul(a, b, out=c)) for _ in range(repeats))
    return matmul_flops(n) / best / 1e9


def tf_matmul_gflops(tf_device: str, n: int = MATMUL_N, chain: int = 4, repeats: int = 3) -> float:
    """Best rate (GFLOP/s) of ``tf.matmul`` float32 on a device: ``chain`` dependent products.

    The products are chained (each multiplies the previous result) so that no graph optimizer
    can merge them, and reduced to one scalar so that only 4 bytes come back to the host.
    """
    import tensorflow as tf

    with tf.device(tf_device):
        a = tf.random.stateless_normal((n, n), seed=(0, 1))
        b = tf.random.stateless_normal((n, n), seed=(0, 2)) / n**0.5  # keeps the chain finite

        @tf.function
        def run(a, b):
            c = a
            for _ in range(chain):
                c = tf.matmul(c, b)
            return tf.reduce_sum(c)

        run(a, b).numpy()  # trace and warm up
        best = min(timed_call(lambda: run(a, b).numpy()) for _ in range(repeats))
    return chain * matmul_flops(n) / best / 1e9


def timed_call(fn: Callable[[], object]) -> float:
    """Wall time (s) of one call of ``fn``."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


__all__ = ["DEVICES", "GPU_MATMUL_N", "MATMUL_N", "DeviceStatus", "PeakMemory", "device_statuses",
           "gpu_visible", "numpy_matmul_gflops", "peak_rss_bytes", "reset_peak_rss",
           "tf_matmul_gflops", "timed_call"]
