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


def device_of(environment: dict[str, Any]) -> str:
    """The device a run trained on: its GPUs, else its CPU model and core count."""
    gpus = environment.get("gpus") or []
    if gpus:
        return "GPU " + ", ".join(str(g.get("name", "?")) for g in gpus)
    cpu = environment.get("cpu") or {}
    return f"CPU {cpu.get('model', '?')} ({cpu.get('cores', '?')} cores)"


def mode_of(results: dict[str, Any]) -> str:
    """The execution mode (``xla``, ``default``), with ``, deterministic`` when op determinism
    was on."""
    execution = results.get("execution") or {}
    mode = str(execution.get("mode"))
    return mode + (", deterministic" if execution.get("deterministic") else "")


def identity(results: dict[str, Any]) -> dict[str, Any]:
    """What must be equal for the accuracy and loss figures of two results to be compared.

    Keys: spec hash (model, data and train sections), schedule (epochs, batch_size, sample
    counts, validation_split), data checksum (sha256 of the archive).
    """
    schedule = dict(results.get("schedule") or {})
    schedule.pop("name", None)
    return {
        "spec hash": (results.get("spec") or {}).get("hash"),
        "schedule": schedule or None,
        "data checksum": (results.get("data") or {}).get("checksum"),
    }


def timing_identity(results: dict[str, Any]) -> dict[str, Any]:
    """What must be equal for the timings of two results to be compared: :func:`identity`,
    the device (the machine fingerprint: CPU model and cores, or GPU) and the execution mode."""
    return {**identity(results), "device": device_of(results.get("environment") or {}),
            "execution mode": mode_of(results)}


def short(value: Any) -> str:
    """A value as the verdict shows it: a hash cut to 12 characters, a schedule as a list."""
    if isinstance(value, str) and len(value) == 64:
        return value[:12]
    if isinstance(value, dict):
        return ", ".join(f"{k} {'all' if v is None else v}" for k, v in value.items())
    return str(value)


def changed_sections(results: dict[str, Any], other: dict[str, Any]) -> list[str]:
    """The spec sections (model, data, train) whose hashes differ between two results."""
    mine = (results.get("spec") or {}).get("section_hashes") or {}
    theirs = (other.get("spec") or {}).get("section_hashes") or {}
    return [f"{key} section" for key in mine if key in theirs and mine[key] != theirs[key]]


def differences(results: dict[str, Any], other: dict[str, Any],
                timing: bool = False) -> list[str]:
    """Why two results are not comparable (on accuracy, or on timings with ``timing``): one
    phrase per differing key; empty when they are comparable."""
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


def environment(results: dict[str, Any]) -> dict[str, str]:
    """The parts of a run's environment that the verdict lists: CPU (or GPU) device,
    TensorFlow and Keras versions, execution mode."""
    env = results.get("environment") or {}
    return {"device": device_of(env), "TensorFlow": str(env.get("tensorflow")),
            "Keras": str(env.get("keras")), "mode": mode_of(results)}


def environment_differences(runs: Sequence[dict[str, Any]],
                            baseline: Sequence[dict[str, Any]]) -> list[str]:
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
