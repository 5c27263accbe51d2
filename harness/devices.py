"""``--device``: run on the CPU, on a GPU, or where TensorFlow chooses.

A GPU asked for but not visible is an error before anything runs, not a silent CPU run whose
epoch times would then be compared with GPU ones.
"""

from __future__ import annotations

import os
import sys

from .errors import UsageError

DEVICES = ("auto", "cpu", "gpu")


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

    gpus = tf.config.list_physical_devices("GPU")
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
        details = tf.config.experimental.get_device_details(gpus[0])
        return str(details.get("device_name") or gpus[0].name)
    return "cpu"
