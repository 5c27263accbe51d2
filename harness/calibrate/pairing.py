"""Whether paired seeds would narrow the gate's comparison, measured on the seeds stored from
two machine kinds (:func:`pairing_lines`, a line of the calibration report)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..comparable import device_of
from ..power import detectable_effect, pooled_std
from ..result_types import RunLike, as_run
from ..stats import METRICS, run_figures


def pairing_lines(runs: Sequence[RunLike], metric: str, seeds: int,
                  alpha: float) -> list[str]:
    """Whether paired seeds (the same seed run again, the test on the differences) would narrow
    the comparison: measured on the seeds stored from two machine kinds. Runs repeat exactly on
    one machine, so there the unchanged code's differences are zero and any change's are not."""
    import numpy as np

    from ..power import paired_detectable_effect

    by_kind: dict[str, dict[int, float]] = {}
    for run in map(as_run, runs):
        value = run_figures(run)[metric]
        seed = run.execution.seed
        if value is not None and seed is not None:
            by_kind.setdefault(device_of(run.environment), {})[seed] = value
    kinds = sorted(by_kind)
    lines = []
    for i, a in enumerate(kinds):
        for b in kinds[i + 1:]:
            common = sorted(set(by_kind[a]) & set(by_kind[b]))
            if len(common) < 3:
                continue
            x = np.array([by_kind[a][s] for s in common])
            y = np.array([by_kind[b][s] for s in common])
            rho = float(np.corrcoef(x, y)[0, 1]) if x.std() and y.std() else math.nan
            everyone = [v for kind in kinds for v in by_kind[kind].values()]
            std = pooled_std(everyone) or math.nan
            # the spread of same-seed differences from the correlation and every run's spread
            # (8 differences alone say little about it): std * sqrt(2 (1 - rho))
            spread = std * math.sqrt(2 * (1 - rho)) if math.isfinite(rho) else float(
                np.std(x - y, ddof=1))
            paired = paired_detectable_effect(spread, seeds, alpha)
            unpaired = detectable_effect(std, seeds, len(runs), alpha)
            verdict = ("pairing would narrow it (the gate does not pair seeds yet)"
                       if paired is not None and unpaired is not None and paired < unpaired
                       else "pairing does not help: the gate's unpaired test is the better one")
            lines.append(f"{len(common)} seeds run on {a} and on {b}: correlation {rho:+.2f} "
                         f"between the same seed's {METRICS[metric][0]}; paired difference std "
                         f"{float(np.std(x - y, ddof=1)):.4f} measured, {spread:.4f} from the "
                         f"correlation and one run's {std:.4f} (all {len(everyone)} runs); "
                         f"detectable with {seeds} paired seeds {paired:.4f} vs unpaired against "
                         f"{len(runs)} runs {unpaired:.4f}: {verdict}")
    return lines

