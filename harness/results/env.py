"""The environment a result records: versions, CPU, GPUs and the commit of the user's project.

The GPUs are :func:`harness.devices.gpu_records`' (which GPUs TensorFlow sees, and what
``nvidia-smi`` adds); the commit is :func:`harness.gitinfo.git_state`'s.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

from .schema import harness_version


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``, else what :mod:`platform` says)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(with_tensorflow: bool = True) -> dict[str, Any]:
    """Versions, CPU, GPU and commit of this run.

    Returns a dict with ``python``, ``platform``, ``cpu`` (model, cores), ``numpy``,
    ``tensorflow``, ``keras``, ``cuda``/``cudnn`` (TensorFlow's build), ``gpus`` (name, compute
    capability, and total memory in bytes and driver version where ``nvidia-smi`` tells them),
    ``git_commit`` (the working directory's repository, ``-dirty`` when its tracked files other
    than ``reports/`` and ``.harness/`` changed; see :func:`harness.gitinfo.git_state`) and
    ``git_branch``.
    """
    import numpy as np

    env: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": {"model": cpu_model(), "cores": os.cpu_count()},
        "numpy": np.__version__,
        "harness": harness_version(),
    }
    from ..gitinfo import git_state

    git = git_state()
    env["git_commit"] = (git["commit"] + ("-dirty" if git["dirty"] else "")
                         if git["commit"] else None)
    env["git_branch"] = git["branch"]
    if with_tensorflow:
        import keras
        import tensorflow as tf

        from ..devices import gpu_records

        build = tf.sysconfig.get_build_info()
        env.update(
            tensorflow=tf.__version__,
            keras=keras.__version__,
            keras_backend=keras.backend.backend(),
            cuda=build.get("cuda_version"),
            cudnn=build.get("cudnn_version"),
            gpus=gpu_records(),
        )
    return env


__all__ = ["cpu_model", "environment"]
