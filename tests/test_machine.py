"""harness.machine: devices (a missing GPU is skipped with a reason), peak memory, matmul rate."""

from __future__ import annotations

import numpy as np
import pytest

from harness.bench import parse_devices, parse_modes
from harness.errors import UsageError
from harness.machine import PeakMemory, device_statuses, numpy_matmul_gflops, tf_matmul_gflops


def test_parse_devices_and_modes():
    assert parse_devices("cpu, GPU,cpu") == ("cpu", "gpu")
    assert parse_modes("xla,default") == ("xla", "default")
    with pytest.raises(UsageError, match="--devices: unknown device tpu; use a comma-separated "
                                         "list of cpu, gpu"):
        parse_devices("cpu,tpu")
    with pytest.raises(UsageError, match=r"--modes: unknown execution mode \(none\)"):
        parse_modes(",")


def test_the_cpu_is_always_there_and_a_missing_gpu_says_why():
    import tensorflow as tf

    cpu, gpu = device_statuses(["cpu", "gpu"])
    assert (cpu.name, cpu.tf_device, cpu.available) == ("cpu", "/CPU:0", True)
    if tf.config.list_physical_devices("GPU"):
        assert gpu.available and gpu.reason is None
    else:
        assert not gpu.available
        assert gpu.as_dict() == {
            "device": "gpu", "tf_device": "/GPU:0", "status": "skipped",
            "reason": "no GPU visible", "detail": gpu.detail}
        assert gpu.detail.startswith("tf.config.list_physical_devices('GPU') is empty")


def test_peak_memory_sees_an_allocation_inside_the_block():
    with PeakMemory("cpu") as mem:
        block = np.ones(64 * 1024 * 1024 // 8)  # 64 MiB, touched
        del block
    assert mem.host_scope == "block"  # Linux: the peak mark was reset at the start
    assert mem.host_peak_bytes - mem.host_before_bytes >= 60 * 1024 * 1024
    assert mem.device_peak_bytes is None
    with PeakMemory("cpu") as quiet:
        pass
    # the 64 MiB block was freed and the mark reset: a block that allocates nothing peaks lower
    assert quiet.host_peak_bytes < mem.host_peak_bytes


def test_matmul_rates_are_measured():
    # Small products keep this fast; the bench uses 2048 x 2048.
    assert 0.01 < numpy_matmul_gflops(n=256, repeats=2) < 1e6
    assert 0.01 < tf_matmul_gflops("/CPU:0", n=256, chain=2, repeats=2) < 1e6


@pytest.mark.gpu
def test_gpu_memory_and_matmul_rate(gpu):
    import tensorflow as tf

    with PeakMemory("gpu") as mem, tf.device(gpu.tf_device):
        x = tf.ones((1024, 1024))  # 4 MiB on the device
        float(tf.reduce_sum(x))
    assert mem.device_peak_bytes >= 4 * 1024 * 1024
    assert tf_matmul_gflops(gpu.tf_device, n=1024) > 0
