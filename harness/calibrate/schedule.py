"""The pieces of a calibration: a candidate CI schedule under trial (:class:`Candidate`), the
one chosen (:class:`Choice`), what calibrate found for a spec (:class:`Calibration`), and the
arithmetic between them: seeds that fit in a budget (:func:`seeds_in`), the drop they detect
(:func:`choice_for`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ..errors import UsageError
from ..power import Simulation, detectable_effect, pooled_std
from ..result_types import RunResult, as_run
from ..spec import Spec
from ..stats import run_figures

ACCURACY = ("best_val_acc", "final_val_acc", "test_acc")
PILOT_SEEDS = 4
PILOT_START = 1000  # pilot seeds stay clear of the baseline's 0, 1, 2, ...


def parse_duration(text: str) -> float:
    """``90s``, ``10m``, ``1.5h`` or a number of seconds, as seconds.

    Raises:
        UsageError: anything else, or a duration of zero.
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not match or float(match.group(1)) <= 0:
        raise UsageError(f"--budget: expected a duration such as 90s, 10m or 1h, got {text!r}")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


@dataclass
class Candidate:
    """A CI schedule under trial: its epochs, its runs (pilot and stored) and its cost."""

    epochs: int
    runs: list[RunResult] = field(default_factory=list)
    seconds_per_seed: float | None = None

    def __post_init__(self) -> None:
        self.runs = [as_run(r) for r in self.runs]

    def std(self, metric: str) -> float | None:
        values = [v for r in self.runs if (v := run_figures(r)[metric]) is not None]
        return pooled_std(values)


@dataclass(frozen=True)
class Choice:
    """The chosen CI schedule and what it can see."""

    epochs: int
    metric: str
    seeds: int
    baseline_seeds: int
    std: float
    detectable: float
    seconds_per_seed: float


@dataclass
class Calibration:
    """What calibrate found for one spec (see the module docstring)."""

    spec: Spec
    candidates: list[Candidate]
    choice: Choice
    baseline: list[RunResult]
    simulations: list[Simulation]
    alpha: float
    budget_s: float
    engine: str  # where the runs trained, as the option that chose it (``--jobs 2``)
    pairing: list[str] = field(default_factory=list)
    extended: bool = False  # --extend: the ci section's schedule and seeds, not a choice

    def __post_init__(self) -> None:
        self.baseline = [as_run(r) for r in self.baseline]


def seeds_in(budget_s: float, candidate: Candidate) -> int:
    """The seeds of ``candidate`` that fit in ``budget_s`` seconds per CI run (at least 2)."""
    per_seed = candidate.seconds_per_seed or math.inf
    return max(2, int(budget_s // per_seed))


def choice_for(candidate: Candidate, metric: str, seeds: int, baseline_seeds: int,
               alpha: float) -> Choice:
    """``candidate`` judged on ``metric`` with ``seeds`` runs against ``baseline_seeds``: the
    drop detectable with 80% power at ``alpha`` (infinite when no spread can be measured)."""
    std = candidate.std(metric)
    effect = detectable_effect(std, seeds, baseline_seeds, alpha) if std else None
    return Choice(candidate.epochs, metric, seeds, baseline_seeds, std or math.nan,
                  effect if effect is not None else math.inf,
                  candidate.seconds_per_seed or math.nan)

