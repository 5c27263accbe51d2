"""``harness calibrate``: the CI schedule that lets the gate see the smallest regression within a
time budget on this machine, its baseline runs, and a report of what that gate can detect.

For one spec:

1. **Pilot.** A few seeds (``--pilot-seeds``, 4) of each candidate CI schedule: the spec's current
   ci epochs and one epoch fewer and more (within the spec's own epochs), with its ci sample
   counts. Baseline runs already stored for a candidate count toward its spread. The pilot's wall
   time per seed, with the ``--jobs`` the gate will use, says how many seeds fit in ``--budget``.
2. **Choice.** For every candidate and gated accuracy metric (best/final val_acc, test acc): the
   drop detectable with 80% power (:func:`harness.power.detectable_effect`) by the seeds that fit
   in the budget against the baseline to be recorded; the smallest wins.
3. **Baseline.** Seeds of the chosen schedule are recorded until the baseline holds
   ``--baseline-seeds`` runs (the pilot's runs of that schedule count).
4. **Check.** The gate's own test is simulated on the stored runs (:func:`harness.power.simulate`):
   A/A false-alarm rate and power against injected drops, by resampling and on normal draws.
5. **Write.** The spec's ``ci:`` block gets the schedule, seeds, band (baseline mean +/- 3 std,
   rounded outward to 0.01) and ``min_effect`` (the detectable drop, rounded up to 0.005); the
   report goes to ``<baseline>/<spec name>/calibration.md``.

``--extend`` skips 1, 2 and 5: it adds seeds of the current ci schedule run on this machine to the
baseline (what the gate asks for when a machine kind shifts the metric) and reports again.

One module per job: :mod:`.schedule` (candidates, the choice, the budget's arithmetic),
:mod:`.run` (:func:`calibrate_spec`), :mod:`.pairing`, :mod:`.ci_section` (the spec's new
``ci:`` block) and :mod:`.report` (:func:`render`). Every name is importable from
``harness.calibrate`` itself.
"""

from __future__ import annotations

from .ci_section import ci_block, write_ci_section
from .pairing import pairing_lines
from .report import render
from .run import calibrate_spec, check_calibratable, gated_metrics, options_for, stored_runs
from .schedule import (
    ACCURACY,
    PILOT_SEEDS,
    PILOT_START,
    Calibration,
    Candidate,
    Choice,
    choice_for,
    parse_duration,
    seeds_in,
)

__all__ = ["ACCURACY", "PILOT_SEEDS", "PILOT_START", "Calibration", "Candidate", "Choice",
           "calibrate_spec", "check_calibratable", "choice_for", "ci_block", "gated_metrics",
           "options_for", "pairing_lines", "parse_duration", "render", "seeds_in", "stored_runs",
           "write_ci_section"]
