"""Which results can be compared with which, per kind of figure.

Accuracy and loss depend on the model, the data, the schedule and the code, not on which machine
computed them: two runs of the same spec hash, schedule and data checksum are compared on them
whatever CPU model, device, execution mode or library versions ran them (XLA and the Keras
default compute the same function). Those environment differences are listed in the verdict
(:func:`environment_differences`), so that a regression that came with a TensorFlow upgrade shows
as such. Timings depend on the machine too: they are compared only between runs of the same
machine fingerprint (CPU model and cores, or GPU), device and execution mode.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from .result_types import Cpu, Environment, RunLike, as_run


def device_of(environment: Environment | dict[str, Any]) -> str:
    """The device a run trained on: its GPUs, else its CPU model and core count."""
    env = Environment.of(environment)
    if env.gpus:
        return "GPU " + ", ".join(str(g.given("name", "?")) for g in env.gpus)
    cpu = env.cpu or Cpu()
    return f"CPU {cpu.given('model', '?')} ({cpu.given('cores', '?')} cores)"


def mode_of(results: RunLike) -> str:
    """The execution mode (``xla``, ``default``), with ``, deterministic`` when op determinism
    was on."""
    execution = as_run(results).execution
    return str(execution.mode) + (", deterministic" if execution.deterministic else "")


def identity(results: RunLike) -> dict[str, Any]:
    """What must be equal for the accuracy and loss figures of two results to be compared.

    Keys: spec hash (model, data and train sections), schedule (epochs, batch_size, sample
    counts, validation_split), data checksum (sha256 of the archive).
    """
    run = as_run(results)
    return {
        "spec hash": run.spec.hash,
        "schedule": run.schedule.identity() or None,
        "data checksum": run.data.checksum,
    }


def timing_identity(results: RunLike) -> dict[str, Any]:
    """What must be equal for the timings of two results to be compared: :func:`identity`,
    the device (the machine fingerprint: CPU model and cores, or GPU) and the execution mode."""
    run = as_run(results)
    return {**identity(run), "device": device_of(run.environment),
            "execution mode": mode_of(run)}


def short(value: Any) -> str:
    """A value as the verdict shows it: a hash cut to 12 characters, a schedule as a list."""
    if isinstance(value, str) and len(value) == 64:
        return value[:12]
    if isinstance(value, dict):
        return ", ".join(f"{k} {'all' if v is None else v}" for k, v in value.items())
    return str(value)


def changed_sections(results: RunLike, other: RunLike) -> list[str]:
    """The spec sections (model, data, train) whose hashes differ between two results."""
    mine = as_run(results).spec.section_hashes
    theirs = as_run(other).spec.section_hashes
    return [f"{key} section" for key in mine if key in theirs and mine[key] != theirs[key]]


def differences(results: RunLike, other: RunLike, timing: bool = False) -> list[str]:
    """Why two results are not comparable (on accuracy, or on timings with ``timing``): one
    phrase per differing key; empty when they are comparable."""
    results, other = as_run(results), as_run(other)
    key_of = timing_identity if timing else identity
    a, b = key_of(results), key_of(other)
    found = []
    for key in a:
        if a[key] != b[key]:
            phrase = f"{key} {short(a[key])} vs {short(b[key])}"
            if key == "spec hash":
                changed = changed_sections(results, other)
                if changed:
                    phrase += f" ({', '.join(changed)} changed)"
            found.append(phrase)
    return found


def environment(results: RunLike) -> dict[str, str]:
    """The parts of a run's environment that the verdict lists: CPU (or GPU) device,
    TensorFlow and Keras versions, execution mode."""
    run = as_run(results)
    env = run.environment
    return {"device": device_of(env), "TensorFlow": str(env.tensorflow),
            "Keras": str(env.keras), "mode": mode_of(run)}


def environment_differences(runs: Sequence[RunLike], baseline: Sequence[RunLike]) -> list[str]:
    """Where the baseline's environment differs from the runs under test, one line per part:
    ``TensorFlow: 2.21.0 here; baseline 2.20.0 (8 runs)``. Empty when every part is the same."""
    lines = []
    for part in ("device", "TensorFlow", "Keras", "mode"):
        here = Counter(environment(r)[part] for r in runs)
        there = Counter(environment(r)[part] for r in baseline)
        if set(here) != set(there):
            lines.append(f"{part}: {', '.join(sorted(here))} here; baseline "
                         + ", ".join(f"{k} ({n} runs)" for k, n in sorted(there.items())))
    return lines


__all__ = ["changed_sections", "device_of", "differences", "environment",
           "environment_differences", "identity", "mode_of", "short", "timing_identity"]
