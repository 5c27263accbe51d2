"""``harness gate``: results against the spec's band and a stored baseline, robust to seed noise.

The runs of one spec are a :class:`Group`: the runs under test (several seeds of one schedule),
the baseline runs they can be compared with, and the band that applies. Small check objects look
at a group and return a failure message or None; every check of every group runs before the
exit code is decided. The checks:

- :class:`CompleteRuns`: at least one run finished;
- :class:`FiniteLoss`: no run stopped at a NaN or infinite loss;
- :class:`StuckAtChance`: no run sits at chance after two epochs (val_acc 0.50 +/- 0.02 and loss
  near ln 2 = 0.693, what a binary classifier that learned nothing shows);
- :class:`BandCheck`: the seed mean of the band's metric is inside the band;
- :class:`RegressionCheck`: per gated metric (an accuracy the spec's ``ci.min_effect`` names), a
  drop against the baseline that is significant: one-sided Welch t-test
  (``scipy.stats.ttest_ind(equal_var=False)``) at ``ci.alpha`` divided by the number of gated
  metrics (Bonferroni: the spec's false-alarm rate stays at or below ``ci.alpha``).
  ``min_effect`` is the drop the gate must be able to see: the verdict prints the drop it detects
  with 80% power (:mod:`harness.power`) beside it and warns when that is larger. The epoch time
  is a regression when it rises significantly and by more than ``min_effect.epoch_time_pct``;
- :class:`CurveCheck`: the seed mean of val_acc and loss stays, epoch by epoch, within the
  baseline's per-epoch mean +/- ``ci.curve_band_std`` standard deviations.

Accuracy and loss are compared with baseline runs of the same spec hash, schedule and data
checksum on any machine; timings only on the same machine, device and mode
(:mod:`harness.comparable`). A gated metric with no comparable baseline is never a pass: the
verdict says NO BASELINE first and the gate exits with :data:`NO_BASELINE_EXIT` unless
``--allow-missing-baseline``.

One module per job: :mod:`.group` (a group and :func:`compare`), :mod:`.checks`,
:mod:`.grouping` (results files into groups, with their baseline), :mod:`.verdict`
(:func:`judge`), :mod:`.render` (Markdown and JSON) and :mod:`.cells` (the figures as text).
Every name is importable from ``harness.gate`` itself.
"""

from __future__ import annotations

from ..comparable import differences, identity
from ..stats import METRICS
from .cells import ci_cell, figure_cell, figure_format, mean_std_cell
from .checks import (
    BandCheck,
    Check,
    CompleteRuns,
    CurveCheck,
    FiniteLoss,
    RegressionCheck,
    StuckAtChance,
    checks_for,
)
from .group import (
    ACCURACY_METRICS,
    CHANCE_ACC,
    LN2,
    NO_BASELINE_EXIT,
    STD_FLOOR,
    Comparison,
    Group,
    compare,
    seed_list,
    seeds_of,
)
from .grouping import baseline_runs, load_run_files, make_groups
from .render import metrics_table, power_lines, render_verdict, verdict_document
from .verdict import Verdict, judge

__all__ = ["ACCURACY_METRICS", "CHANCE_ACC", "LN2", "METRICS", "NO_BASELINE_EXIT", "STD_FLOOR",
           "BandCheck", "Check", "Comparison", "CompleteRuns", "CurveCheck", "FiniteLoss",
           "Group", "RegressionCheck", "StuckAtChance", "Verdict", "baseline_runs",
           "checks_for", "ci_cell", "compare", "differences", "figure_cell", "figure_format",
           "identity", "judge", "load_run_files", "make_groups", "mean_std_cell",
           "metrics_table", "power_lines", "render_verdict", "seed_list", "seeds_of",
           "verdict_document"]
