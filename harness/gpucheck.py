"""The GPU checks as one prepared script (``tox -e gpu``, or ``python -m harness.gpucheck``).

Each step is a command of its own (a fresh process, so one step's TensorFlow state cannot leak
into the next), run in order even when an earlier one fails, and the summary
``reports/gpu/report.md`` says for each what ran, its exit status and where its report is:

1. ``pytest -m gpu``: the tests marked ``gpu`` (cuDNN kernel selection, GPU memory and matmul
   rate, a GPU run recorded as one, and every catalog model's layers against their NumPy
   references on the GPU). With a GPU visible none may skip: a skip here is a failure.
2. ``harness bench``: the section 6.2 classifiers and the dense baseline on ``cpu`` and ``gpu``,
   both execution modes, with the LSTM/GRU kernel that ran (cuDNN or generic) in the report.
3. ``harness run --ci --device gpu``: the gate's CI schedule of each gated spec on the GPU, then
   ``harness gate`` judges those runs beside the CPU baseline in ``reports/baseline/`` (accuracy
   is compared across devices; epoch times only on the same device, so they are reported, not
   judged).

Without a visible GPU it stops at once with one line and exit 1: a GPU check that cannot run
never passes.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tabulate import tabulate

BENCH_SPECS = ["specs/imdb_simple_rnn.yaml", "specs/imdb_lstm.yaml", "specs/imdb_gru.yaml",
               "specs/imdb_dense_baseline.yaml"]
GATED_SPECS = ["specs/imdb_simple_rnn.yaml", "specs/imdb_lstm.yaml",
               "specs/imdb_dense_baseline.yaml"]


@dataclass
class Step:
    """One command of the GPU checks and, once run, its exit status and wall time (s)."""

    name: str
    argv: list[str]
    report: str
    returncode: int | None = None
    seconds: float = 0.0


def steps(out: Path, seeds: int | None) -> list[Step]:
    """The GPU checks in the order they run, writing under ``out``."""
    harness = [sys.executable, "-m", "harness"]
    seed_args = ["--seeds", str(seeds)] if seeds else []
    return [
        Step("GPU tests (pytest -m gpu; a skip fails)",
             [sys.executable, "-m", "pytest", "-m", "gpu", "-p", "no:cacheprovider", "-rs",
              f"--junitxml={out / 'pytest-gpu.xml'}", "tests"], f"{out / 'pytest-gpu.xml'}"),
        Step("bench on cpu and gpu (cuDNN kernel per layer)",
             [*harness, "bench", *BENCH_SPECS, "--devices", "cpu,gpu", "--modes", "default,xla",
              "--out", str(out / "bench")], f"{out / 'bench' / 'report.md'}"),
        Step("the gate's CI schedule on the GPU",
             [*harness, "run", *GATED_SPECS, "--ci", "--device", "gpu", *seed_args,
              "--out", str(out / "runs")], f"{out / 'runs'}"),
        Step("gate: the GPU runs against the CPU baseline",
             [*harness, "gate", *GATED_SPECS, "--results", str(out / "runs"),
              "--verdict", str(out / "verdict.md"), "--out", str(out)],
             f"{out / 'verdict.md'}"),
    ]


def shown(step: Step) -> str:
    """The step's command as a user would type it (``harness ...``, ``pytest ...``)."""
    return shlex.join(step.argv[2:])  # argv[:2] is ``python -m``


def gpu_or_none() -> str | None:
    """The reason no GPU is visible to TensorFlow, or None when one is."""
    from .devices import gpu_visible, no_gpu_detail

    return None if gpu_visible() else f"no GPU visible ({no_gpu_detail()})"


def skipped_tests(junit: Path) -> list[str]:
    """The tests a JUnit XML file lists as skipped, ``name: reason`` each."""
    import xml.etree.ElementTree as ET

    if not junit.is_file():
        return []
    found = []
    for case in ET.parse(junit).iter("testcase"):
        skip = case.find("skipped")
        if skip is not None:
            found.append(f"{case.get('name')}: {skip.get('message', '')}")
    return found


def render(done: Sequence[Step], skipped: Sequence[str], device: str) -> str:
    """The summary report: one row per step, the failures first in words."""
    failed = [s for s in done if s.returncode != 0]
    verdict = "PASS" if not failed and not skipped else "FAIL"
    lines = [f"# GPU checks: {verdict}", "",
             f"- device: {device}",
             "- run with: `tox -e gpu` (`python -m harness.gpucheck`)", ""]
    lines += [f"- FAILED: {s.name} (exit {s.returncode})" for s in failed]
    lines += [f"- skipped with a GPU visible (counts as a failure): {t}" for t in skipped]
    rows = [[s.name, s.returncode, f"{s.seconds:.0f}", f"`{s.report}`", f"`{shown(s)}`"]
            for s in done]
    lines += ["", tabulate(rows, headers=["step", "exit", "wall time (s)", "report", "command"],
                           tablefmt="github"), ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.gpucheck", description=__doc__
                                     .split("\n\n")[0])
    parser.add_argument("--out", default="reports/gpu", help="folder of the reports")
    parser.add_argument("--seeds", type=int, default=None,
                        help="seeds per gated spec on the GPU (default: each spec's ci.seeds)")
    args = parser.parse_args(argv)
    from .tfsetup import import_quietly

    import_quietly()
    missing = gpu_or_none()
    if missing:
        print(f"error: the GPU checks need a GPU visible to TensorFlow: {missing}; run them on "
              "a machine with an NVIDIA GPU after pip install -e '.[test,gpu]'", file=sys.stderr)
        return 1
    from .devices import visible_gpus

    device = ", ".join(d.name for d in visible_gpus())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    done = []
    for step in steps(out, args.seeds):
        print(f"gpucheck: {step.name}: {shown(step)}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        step.returncode = subprocess.call(step.argv)
        step.seconds = time.perf_counter() - start
        done.append(step)
    skipped = skipped_tests(out / "pytest-gpu.xml")
    text = render(done, skipped, device)
    from .results import write_text_atomic

    write_text_atomic(out / "report.md", text)
    print(text)
    return 0 if all(s.returncode == 0 for s in done) and not skipped else 1


if __name__ == "__main__":
    sys.exit(main())
