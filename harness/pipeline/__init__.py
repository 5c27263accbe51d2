"""``harness run``: validate -> load data -> build -> verify -> train -> evaluate -> report.

Results of every run are kept in ``<out>/<spec name>/runs/<run id>.json``; the latest complete
run is also ``<out>/<spec name>/results.json`` with its ``report.md`` and PNGs beside it (see
:mod:`harness.runs`). Every file is written atomically. After each finished epoch the run file is
rewritten with status ``running``, and a checkpoint (:mod:`harness.checkpoint`) is saved beside it
after the first epoch and then as often as 1% of the training time allows (every epoch of a full
run on this CPU), so a run stopped by Ctrl-C or SIGTERM keeps the epochs that finished and
``--resume`` goes on from its newest checkpoint. What can be known before training (a folder
that cannot be written, a disk without room, a GPU that is not there, data that breaks
:mod:`harness.contract`) stops the run before it starts, with nothing written.

One module per job:

- :mod:`.options`: :class:`RunOptions`, the schedule a run records, a resumed run's options;
- :mod:`.preflight`: the checks before training (:func:`check_writable`,
  :func:`check_free_space`);
- :mod:`.document`: the run's results document (:func:`write_run`, :func:`finished_epochs`);
- :mod:`.bands`: the band check (:func:`band_for`, :func:`band_verdict`, :func:`band_miss`);
- :mod:`.run`: :func:`run_spec`, one spec and seed end to end.

Every name is importable from ``harness.pipeline`` itself.
"""

from __future__ import annotations

from .bands import BandResult, band_for, band_miss, band_verdict, check_band, inside
from .document import finished_epochs, new_results, new_run_id, write_run
from .options import (
    DEFAULT_MODE,
    RESUMED_OPTIONS,
    RunOptions,
    check_same_data,
    resumed_options,
    train_section,
)
from .preflight import RESULTS_BYTES, check_free_space, check_writable
from .run import run_spec

# tests/test_metrics.py imports the old private name; remove once it imports finished_epochs.
_finished_epochs = finished_epochs

__all__ = ["DEFAULT_MODE", "RESULTS_BYTES", "RESUMED_OPTIONS", "BandResult", "RunOptions",
           "band_for", "band_miss", "band_verdict", "check_band", "check_free_space",
           "check_same_data", "check_writable", "finished_epochs", "inside", "new_results",
           "new_run_id", "resumed_options", "run_spec", "train_section", "write_run"]
