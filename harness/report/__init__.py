"""Markdown reports with plots, from a results document alone.

``render_report(results)`` gives the Markdown: the band's verdict with this run's figure beside
the book's first, then this run beside the published figures for every recorded metric (best,
final and test values; every key per epoch). ``write_report(results, folder)`` also draws the
notebook's figures, one per metric (training and validation loss; accuracy when it is recorded;
any other metric such as mae), training as dots and validation as a line, with the book's curves
beside this run's. Reports name the data file, never its machine path, and cite no file of the
shared folder beside the project.

One module per job:

- :mod:`.render`: the document (:func:`render_report`, :func:`band_line`) and
  :func:`write_report`; what a report may cite (:func:`public_text`, :func:`data_source`);
- :mod:`.sections`: its tables (architecture, this run beside the book, per-epoch history,
  environment, the runs of a folder, statistics over seeds);
- :mod:`.plots`: the PNG of each metric.

Cells and tables are :mod:`harness.formatting`'s; the figures of a run are
:mod:`harness.figures`' (:func:`summary_figures` is re-exported here). Every name is importable
from ``harness.report`` itself. Nothing here imports TensorFlow; matplotlib only to draw.
"""

from __future__ import annotations

from ..figures import summary_figures
from ..formatting import markdown_table
from .plots import ACCURACY_PNG, LOSS_PNG, plot_history, plot_title, plotted_metrics, png_name
from .render import band_line, data_source, public_text, render_report, write_report
from .sections import (
    architecture_section,
    comparison_section,
    environment_section,
    history_section,
    reference_epoch_seconds,
    runs_section,
    seeds_section,
)

# gate.py still imports the table helper by its old private name; remove this alias once it
# imports harness.formatting.markdown_table.
_table = markdown_table

__all__ = ["ACCURACY_PNG", "LOSS_PNG", "architecture_section", "band_line",
           "comparison_section", "data_source", "environment_section", "history_section",
           "plot_history", "plot_title", "plotted_metrics", "png_name", "public_text",
           "reference_epoch_seconds", "render_report", "runs_section", "seeds_section",
           "summary_figures", "write_report"]
