"""The calibration report (``<baseline>/<spec name>/calibration.md``): the drop the gate sees
first, then the simulated checks, the candidates of the pilot and the baseline."""

from __future__ import annotations

import math

from ..comparable import device_of, identity
from ..formatting import markdown_table
from ..stats import METRICS
from .schedule import ACCURACY, Calibration, choice_for, seeds_in


def render(calibration: Calibration) -> str:
    """The calibration report (Markdown): the answer first, then the pilot and the checks."""
    c, spec = calibration.choice, calibration.spec
    label = METRICS[c.metric][0]
    machine = device_of(calibration.baseline[-1].environment) if calibration.baseline else "?"
    cost = "" if not math.isfinite(c.seconds_per_seed) else (
        f" (about {c.seeds * c.seconds_per_seed / 60:.1f} min on {machine}, "
        f"{calibration.engine})")
    lines = [f"# Calibration of {spec.name}", "",
             f"**The gate sees a drop of {c.detectable:.4f} in {label} with 80% power**: "
             f"{c.epochs} epoch(s), {c.seeds} seeds per CI run{cost} against "
             f"{len(calibration.baseline)} baseline runs; std {c.std:.4f} per seed; one-sided "
             f"alpha {calibration.alpha}.", ""]
    for sim in calibration.simulations:
        power = ", ".join(f"{shift:.4f}: {rate:.2f}" for shift, rate in sim.power.items())
        lines.append(f"- simulated ({sim.method}, {sim.trials} verdicts of {sim.n_current} vs "
                     f"{sim.n_baseline} runs): A/A false-alarm rate {sim.false_alarm:.3f} "
                     f"(+/- {sim.rate_error(sim.false_alarm):.3f}; alpha {sim.alpha}); power "
                     f"against a drop of {power}")
    lines += [f"- paired seeds: {line}" for line in calibration.pairing]
    budget = ("the ci section's seeds (--extend leaves it as it is)" if calibration.extended
              else f"budget per CI run {calibration.budget_s / 60:.1f} min")
    lines += ["", "It cannot see drops much below the detectable one: at half of it the power "
              f"is the first figure above. Seeds per CI run: {budget}.", "", "## Candidates", ""]
    rows = []
    for cand in calibration.candidates:
        for metric in ACCURACY:
            std = cand.std(metric)
            if std is None:
                continue
            per_run = c.seeds if calibration.extended else seeds_in(calibration.budget_s, cand)
            choice = choice_for(cand, metric, per_run, c.baseline_seeds, calibration.alpha)
            rows.append([cand.epochs, METRICS[metric][0], len(cand.runs), f"{std:.4f}",
                         f"{cand.seconds_per_seed:.1f}" if cand.seconds_per_seed
                         and math.isfinite(cand.seconds_per_seed) else "-",
                         choice.seeds, f"{choice.detectable:.4f}"])
    lines += [markdown_table(rows, ["epochs", "metric", "runs", "std", "s per seed",
                                    "seeds per CI run", "detectable (80%)"]), ""]
    seeds = sorted(s for r in calibration.baseline if (s := r.execution.seed) is not None)
    kinds = sorted({device_of(r.environment) for r in calibration.baseline})
    lines += [f"Baseline: {len(calibration.baseline)} runs (seeds {seeds[0]}-{seeds[-1]}) on "
              f"{', '.join(kinds)}; same spec hash "
              f"{str(identity(calibration.baseline[0])['spec hash'])[:12]}.", ""]
    return "\n".join(lines)

