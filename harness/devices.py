"""Which devices there are, and ``--device``: run on the CPU, on a GPU, or where TensorFlow
chooses.

The one place that asks which GPUs TensorFlow sees (:func:`visible_gpus`); the bench's device
list (:func:`harness.machine.device_statuses`), the environment a run records
(:func:`harness.results.environment`) and the GPU checks (:mod:`harness.gpucheck`) ask here.
A GPU asked for but not visible is an error before anything runs, not a silent CPU run whose
epoch times would then be compared with GPU ones. TensorFlow is imported inside the functions.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from .errors import UsageError

DEVICES = ("auto", "cpu", "gpu")


def visible_gpus() -> list[Any]:
    """The GPUs TensorFlow sees, in its order (``tf.config.list_physical_devices("GPU")``:
    TensorFlow's ``PhysicalDevice`` objects, ``/physical_device:GPU:0`` ...); [] without one."""
    import tensorflow as tf

    return list(tf.config.list_physical_devices("GPU"))


def gpu_visible() -> bool:
    """Whether TensorFlow sees a GPU."""
    return bool(visible_gpus())


def gpu_details(device: Any) -> dict[str, Any]:
    """What TensorFlow tells of a GPU of :func:`visible_gpus`: ``device_name`` (``NVIDIA
    H100 80GB HBM3``) and ``compute_capability`` (``(9, 0)``), when it knows them."""
    import tensorflow as tf

    return dict(tf.config.experimental.get_device_details(device))


def no_gpu_detail() -> str:
    """How it was found that no GPU is visible, and why when TensorFlow can tell (a build
    without CUDA)."""
    import tensorflow as tf

    detail = "tf.config.list_physical_devices('GPU') is empty"
    if not tf.test.is_built_with_cuda():
        detail += f"; this TensorFlow {tf.__version__} is built without CUDA"
    return detail


def nvidia_smi() -> list[dict[str, Any]]:
    """Name, total memory (bytes) and driver of each GPU per ``nvidia-smi``; [] without it."""
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total,driver_version",
             "--format=csv,noheader,nounits"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    if out.returncode != 0:
        return []
    gpus = []
    for line in out.stdout.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 3:
            memory = int(parts[1]) * 1024 * 1024 if parts[1].isdigit() else None  # MiB
            gpus.append({"name": parts[0], "memory_bytes": memory, "driver": parts[2]})
    return gpus


def gpu_records() -> list[dict[str, Any]]:
    """The GPUs TensorFlow sees as a run's environment records them: name and compute
    capability, with total memory (bytes) and driver version where ``nvidia-smi`` tells them
    (matched by position)."""
    smi = nvidia_smi()
    records = []
    for i, dev in enumerate(visible_gpus()):
        details = gpu_details(dev)
        gpu = {"name": details.get("device_name", dev.name),
               "compute_capability": details.get("compute_capability")}
        if i < len(smi):
            gpu.update(memory_bytes=smi[i]["memory_bytes"], driver=smi[i]["driver"])
        records.append(gpu)
    return records


def select_device(device: str) -> str:
    """Make TensorFlow use ``device``; returns what it will run on: ``cpu`` or the GPU's name.

    ``cpu`` hides every GPU (``CUDA_VISIBLE_DEVICES=-1`` when TensorFlow is not imported yet,
    else ``tf.config.set_visible_devices``); ``gpu`` requires one; ``auto`` changes nothing.

    Raises:
        UsageError: ``gpu`` with no GPU visible to TensorFlow (says how to get one, or to use
            ``--device cpu``); an unknown device name.
    """
    if device not in DEVICES:
        raise UsageError(f"--device: must be one of {', '.join(DEVICES)}, got {device!r}")
    if device == "cpu" and "tensorflow" not in sys.modules:
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
    import tensorflow as tf

    gpus = visible_gpus()
    if device == "gpu" and not gpus:
        cuda = tf.sysconfig.get_build_info().get("cuda_version")
        if cuda:
            why = (f"TensorFlow {tf.__version__} (built with CUDA {cuda}) sees no GPU; check that "
                   "nvidia-smi lists one and that CUDA_VISIBLE_DEVICES does not hide it")
        else:
            why = (f"TensorFlow {tf.__version__} is a build without CUDA; install the CUDA build "
                   "(pip install 'tensorflow[and-cuda]') on a machine with an NVIDIA GPU")
        raise UsageError(f"--device gpu: {why}, or run with --device cpu")
    if device == "cpu" and gpus:
        try:
            tf.config.set_visible_devices([], "GPU")
        except RuntimeError:
            raise UsageError("--device cpu: TensorFlow already set up the GPU in this process; "
                             "start harness with CUDA_VISIBLE_DEVICES=-1 instead") from None
        return "cpu"
    if gpus and device != "cpu":
        return str(gpu_details(gpus[0]).get("device_name") or gpus[0].name)
    return "cpu"


__all__ = ["DEVICES", "gpu_details", "gpu_records", "gpu_visible", "no_gpu_detail", "nvidia_smi",
           "select_device", "visible_gpus"]
