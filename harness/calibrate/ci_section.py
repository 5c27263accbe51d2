"""The spec's ``ci:`` section that calibrate writes: its contents (:func:`ci_block`) and the
edit of the spec file (:func:`write_ci_section`, checked by loading before it is written)."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..power import pooled_std
from ..stats import run_figures
from .schedule import ACCURACY, Calibration


def ci_block(calibration: Calibration) -> dict[str, Any]:
    """The ``ci:`` mapping calibrate writes: schedule, seeds, band and min_effect."""
    spec, choice = calibration.spec, calibration.choice
    band_metric = (spec.ci.band.metric if spec.ci is not None
                   and spec.ci.band.metric in ACCURACY else choice.metric)
    values = [v for r in calibration.baseline if (v := run_figures(r)[band_metric]) is not None]
    mean = sum(values) / len(values)
    std = pooled_std(values) or 0.0
    block: dict[str, Any] = {"epochs": choice.epochs}
    if spec.ci is not None:
        for key in ("train_samples", "test_samples", "batch_size"):
            if getattr(spec.ci, key) is not None:
                block[key] = getattr(spec.ci, key)
    block["seeds"] = choice.seeds
    block["band"] = {"metric": band_metric,
                     "low": max(0.0, math.floor((mean - 3 * std) * 100) / 100),
                     "high": min(1.0, math.ceil((mean + 3 * std) * 100) / 100)}
    block["min_effect"] = {choice.metric: math.ceil(choice.detectable * 200) / 200}
    if spec.ci is not None and spec.ci.alpha != 0.05:
        block["alpha"] = spec.ci.alpha
    return block


def write_ci_section(spec_path: Path, block: dict[str, Any], comment: str) -> None:
    """Replace the spec file's top-level ``ci:`` block (and the comment lines right above it)
    with ``block``, or add one; the file is checked by loading it before it is written.

    Raises:
        SpecError: the new file would not load (nothing is written).
    """
    import yaml

    from ..results import write_text_atomic
    from ..spec import load_spec

    text = spec_path.read_text()
    body = yaml.safe_dump({"ci": block}, sort_keys=False, default_flow_style=None, width=100)
    new = "".join(f"# {line}\n".replace("# \n", "#\n") for line in comment.splitlines()) + body
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"ci:\s*(#.*)?$", line)), None)
    if start is None:
        updated = text.rstrip("\n") + "\n\n" + new
    else:
        end = start + 1
        while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
            end += 1
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        top = start
        while top > 0 and lines[top - 1].startswith("#"):
            top -= 1
        updated = "".join(lines[:top]) + new + "".join(lines[end:])
    check = spec_path.with_name(f".{spec_path.name}.calibrate")
    check.write_text(updated)
    try:
        load_spec(check)
    except SpecError as exc:
        raise SpecError(str(spec_path), [f"{p} (calibrate's new ci section; the file was left "
                                         "as it was)" for p in exc.problems]) from None
    finally:
        check.unlink()
    write_text_atomic(spec_path, updated)

