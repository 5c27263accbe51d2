"""pytest-benchmark benchmarks of the catalog: a training epoch and inference latency per
spec x device x execution mode, on a slice of the real reviews.

Not part of the default run (pyproject's addopts has --benchmark-skip, so these are collected
and skipped without building anything). Run them with::

    pytest tests/bench --benchmark-only --benchmark-json=reports/bench/pytest-benchmark.json
    pytest tests/bench --benchmark-only --benchmark-autosave            # store a baseline
    pytest tests/bench --benchmark-only --benchmark-compare --benchmark-compare-fail=median:15%

``harness bench --benchmark-json FILE`` and ``harness report --benchmark-json FILE`` put the JSON
in the benchmark report. A GPU case skips with the reason when no GPU is visible.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.bench import LATENCY_BATCH_SIZES, HarnessTraining
from harness.machine import DEVICES, device_statuses
from harness.spec import discover_specs, load_spec
from harness.train import EXECUTION_MODES

ROOT = Path(__file__).resolve().parents[2]
# Every trained spec of the catalog (architecture-only specs have nothing to train).
SPECS = [spec for spec in map(load_spec, discover_specs([ROOT / "specs"])) if spec.trains]
TRAIN_ROUNDS = 3  # timed epochs after the warm-up epoch


def _device(name: str):
    status = device_statuses([name])[0]
    if not status.available:
        pytest.skip(f"{name}: {status.reason} ({status.detail})")
    return status


def _record(benchmark, spec, device, mode, measure: str, samples: int, **extra) -> None:
    median = benchmark.stats.stats.median
    benchmark.extra_info.update(spec=spec.name, spec_hash=spec.content_hash(), device=device,
                                mode=mode, measure=measure,
                                samples_per_s=samples / median if median else None, **extra)


@pytest.mark.parametrize("mode", list(EXECUTION_MODES))
@pytest.mark.parametrize("device", list(DEVICES))
@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_train_epoch(benchmark, bench_data, spec, device, mode):
    """One training epoch through the harness (validation included), after a warm-up epoch."""
    status = _device(device)
    data = bench_data(spec)
    runner = HarnessTraining(spec, data, mode, status)
    runner.setup()
    benchmark.group = f"train epoch: {spec.name}"
    benchmark.pedantic(runner.timed, args=(1,), rounds=TRAIN_ROUNDS, iterations=1)
    trial = runner.trial
    val = int(len(data.x_train) * spec.train.validation_split)
    _record(benchmark, spec, device, mode, "train_epoch", len(data.x_train) - val,
            first_epoch_time_s=trial.first_epoch_s, jit_compile=trial.jit_compile,
            train_samples=len(data.x_train) - val, val_samples=val)
    assert len(trial.epoch_time_s) == TRAIN_ROUNDS


@pytest.mark.parametrize("batch_size", LATENCY_BATCH_SIZES)
@pytest.mark.parametrize("mode", list(EXECUTION_MODES))
@pytest.mark.parametrize("device", list(DEVICES))
@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_inference_latency(benchmark, bench_data, spec, device, mode, batch_size):
    """``model.predict_on_batch`` of one batch (latency per batch), after 3 warm-up calls."""
    import tensorflow as tf

    from harness.build import build_model, compile_model

    status = _device(device)
    batch = bench_data(spec).x_test[:batch_size]
    with tf.device(status.tf_device):
        model = build_model(spec)
        compile_model(model, spec, jit_compile=EXECUTION_MODES[mode])
        for _ in range(3):
            model.predict_on_batch(batch)
        benchmark.group = f"inference: {spec.name}, batch {batch_size}"
        result = benchmark(model.predict_on_batch, batch)
    _record(benchmark, spec, device, mode, f"inference_batch_{batch_size}", batch_size,
            batch_size=batch_size, jit_compile=bool(model.jit_compile))
    assert result.shape == (batch_size, 1)
