"""Inference latency: ``model.predict_on_batch`` timed call by call after untimed warm-up calls.
The pytest-benchmark tests (tests/bench) cut the same batch and warm up the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..machine import DeviceStatus, timed_call

if TYPE_CHECKING:  # pragma: no cover
    import keras
    import numpy as np

INFERENCE_WARMUP_CALLS = 3


def inference_batch(x: np.ndarray, batch_size: int) -> np.ndarray:
    """The first ``batch_size`` rows of ``x``: the batch whose latency is measured.

    Raises:
        UsageError: ``x`` has fewer rows.
    """
    batch = x[:batch_size]
    if len(batch) < batch_size:
        raise UsageError(f"inference at batch_size {batch_size} needs {batch_size} test samples, "
                         f"got {len(batch)}")
    return batch


def warm_up_inference(model: keras.Model, batch: np.ndarray) -> None:
    """The untimed ``predict_on_batch`` calls before latency is timed (tracing; XLA compiles
    each batch shape once)."""
    for _ in range(INFERENCE_WARMUP_CALLS):
        model.predict_on_batch(batch)


def inference_latency(model: keras.Model, x: np.ndarray, batch_size: int, repeats: int,
                      device: DeviceStatus) -> dict[str, Any]:
    """Latency of ``model.predict_on_batch`` on ``x[:batch_size]``.

    :data:`INFERENCE_WARMUP_CALLS` untimed calls first (:func:`warm_up_inference`), then
    ``repeats`` calls timed one by one.

    Returns:
        ``batch_size``, ``repeats``, ``latency_ms_p50``, ``latency_ms_p95`` (ms per batch) and
        ``throughput_samples_per_s`` (samples over the summed latencies).
    """
    import numpy as np
    import tensorflow as tf

    batch = inference_batch(x, batch_size)
    with tf.device(device.tf_device):
        warm_up_inference(model, batch)
        times = [timed_call(lambda: model.predict_on_batch(batch)) for _ in range(repeats)]
    ms = np.array(times) * 1e3
    return {"batch_size": batch_size, "repeats": repeats,
            "latency_ms_p50": float(np.percentile(ms, 50)),
            "latency_ms_p95": float(np.percentile(ms, 95)),
            "throughput_samples_per_s": batch_size * repeats / float(np.sum(times))}


__all__ = ["INFERENCE_WARMUP_CALLS", "inference_batch", "inference_latency",
           "warm_up_inference"]
