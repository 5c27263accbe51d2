"""A run's report as one Markdown document, and the files :func:`write_report` writes.

The document leads with the band's verdict (this run's figure beside the book's), then the run's
setup, its architecture, its data contract, this run beside the book, the per-epoch history,
the figures (:mod:`harness.report.plots`), the runs of its folder and the environment; the
tables come from :mod:`harness.report.sections`. A report names the data file, never its
machine path, and cites no file of the shared folder beside the project (:func:`public_text`,
:func:`data_source`).
"""

from __future__ import annotations

import re
from pathlib import Path, PurePath
from typing import Any

from ..formatting import cell, markdown_table
from ..result_types import DataRecord, ReferenceRecord, RunLike, RunResult, as_run
from ..results import write_text_atomic
from .plots import plot_history, plot_title, plotted_metrics, png_name
from .sections import (
    architecture_section,
    comparison_section,
    environment_section,
    history_section,
    runs_section,
)

# A path to a file in the shared folder beside the project (../shared/..., /x/../shared/...),
# with the word that leads to it ("quoted in ..."): machine-local, never cited in a report.
_SHARED_PATH = re.compile(r"(\s+(of|in|at|from|see))?\s*\S*\.\./shared/\S*", re.IGNORECASE)


def public_text(text: str) -> str:
    """``text`` without paths into ../shared: a path is dropped (with the preposition before
    it), and so is a clause left with less than two words ("tabulated in ../shared/X.md")."""
    if "../shared/" not in text:
        return text
    clauses = []
    for clause in text.split(";"):
        if "../shared/" in clause:
            clause = " " + re.sub(r"\s{2,}", " ", _SHARED_PATH.sub("", clause)).strip(" ,")
            if len(clause.split()) < 2:
                continue
        clauses.append(clause)
    return ";".join(clauses).strip()


def data_source(source: Any) -> str:
    """Where the data came from, without machine paths: ``archive:/x/aclImdb_v1.tar.gz`` and
    ``archive:aclImdb_v1.tar.gz`` -> ``archive aclImdb_v1.tar.gz``; a name without a path as
    it is."""
    from ..results import SOURCE_KINDS

    if source is None:
        return "-"
    text = str(source)
    kind, sep, rest = text.partition(":")
    if sep and rest and (kind in SOURCE_KINDS or (("/" in rest or "\\" in rest)
                                                  and "/" not in kind)):
        return f"{kind} {PurePath(rest.replace(chr(92), '/')).name}"
    if "/" in text:
        return PurePath(text).name
    return text


def _bound(value: float) -> str:
    text = f"{value:.2f}"
    return text if float(text) == value else f"{value:g}"


def band_line(results: RunLike) -> str:
    """The report's first line: the band's verdict, this run's figure, the book's figure.

    ``band: **pass**: best val_loss (lower is better) 0.2643 in [0.25, 0.29]; book 0.2600``;
    without a band, the run's headline figure (:func:`harness.figures.headline`).
    """
    from ..figures import direction_text, figure, headline, label, reference_run, stored_band

    results = as_run(results)
    stored = results.band
    verdict = "no band" if stored is None else stored.given("verdict", "no band")
    if stored is None and results.status not in (None, "complete"):
        verdict = f"not checked: the run is {results.status}"  # a stopped run is not judged
    band = stored_band(stored)
    book = reference_run(results.reference)
    if band is None:
        shown = headline(results)
        if shown is None:
            return f"- band: **{verdict}**"
        name, lower = shown
        theirs = figure(book, name, lower)
        return (f"- band: **{verdict}**; {label(name)} ({direction_text(lower)}) "
                f"{cell(figure(results, name, lower))}; book {cell(theirs)}")
    lower = band.lower_is_better
    value = None if stored is None else stored.value
    bounds = f"[{_bound(band.low)}, {_bound(band.high)}]"
    if value is None:
        where = f"not recorded, band {bounds}"
    else:
        where = f"{cell(value)} {'in' if verdict == 'pass' else 'not in'} {bounds}"
    theirs = figure(book, band.metric, lower)
    return (f"- band: **{verdict}**: {label(band.metric)} ({direction_text(lower)}) {where}; "
            f"book {cell(theirs)}")


_DATA_FIELDS = (("num_words", "num_words {}"), ("maxlen", "maxlen {}"),
                ("padding", "padding `{}`"), ("truncating", "truncating `{}`"),
                ("representation", "representation `{}`"), ("lookback", "lookback {}"),
                ("step", "step {}"), ("delay", "delay {}"), ("target", "target `{}`"),
                ("validation_samples", "validation: the first {} training samples"),
                ("x_dtype", "input dtype `{}`"))


def _data_line(data: DataRecord) -> str:
    details = [fmt.format(getattr(data, key, None)) for key, fmt in _DATA_FIELDS
               if getattr(data, key, None) is not None]
    if data.reverse:
        details.append("each sample reversed in time")
    naive = data.naive_baseline_mae
    return (f"- data: {data_source(data.source)} (sha256 "
            f"{str(data.checksum)[:16]}...): {data.train_samples} train / "
            f"{data.val_samples} validation / {data.test_samples} test"
            + (f"; {', '.join(details)}" if details else "")
            # notebook 6.3's yardstick: "the temperature 24 h later is the last one seen"
            + (f"; naive baseline val MAE {naive:.4f} (the last value of each window)"
               if naive is not None else ""))


def _execution_line(results: RunResult) -> str:
    execution = results.execution
    return (f"- execution: mode `{execution.mode}` (jit_compile={execution.jit_compile}),"
            + (f" device {execution.device}," if execution.device else "")
            + f" seed {execution.seed}, {results.epochs_done} of "
            f"{execution.epochs} epochs, batch_size {execution.batch_size}, "
            f"validation_split {execution.validation_split}"
            + ("" if "deterministic" not in execution.model_fields_set else
               ", deterministic (op determinism on)" if execution.deterministic else
               ", not deterministic (op determinism off)"))


def _setup_lines(results: RunResult) -> list[str]:
    """The title and the run at a glance: band, status, execution, data, spec, run id."""
    spec = results.spec
    status = results.given("status", "complete")
    return [
        f"# {spec.name}: {spec.description or ''}".rstrip(": "),
        "",
        band_line(results),
        f"- status: **{status}**" + (f" ({results.stop_reason})"
                                     if results.stop_reason else "")
        + "".join(f"; resumed at epoch {r.at_epoch} ({r.utc}) after it was "
                  f"{r.from_status}" for r in results.resumed),
        _execution_line(results),
        _data_line(results.data),
        f"- spec: `{spec.path}` (sha256 {spec.given('hash', '')[:16]}...)",
        f"- run: {results.run_id}, {results.created_utc}",
        "",
    ]


def _contract_lines(data: DataRecord) -> list[str]:
    """The data contract's checks, when the run recorded them."""
    if not data.contract:
        return []
    return [
        "## Data contract",
        "",
        "Checked on the data before training"
        + (f" (padding `{data.padding}`, truncating `{data.truncating}`)."
           if data.padding else "."),
        "",
        markdown_table([[row.check, (row.problem or "ok") if row.ok
                         else f"FAILED: {row.problem}"] for row in data.contract],
                       ["check", "result"]),
        "",
    ]


def _book_lines(results: RunResult, figures: bool) -> list[str]:
    """This run beside the book, the per-epoch history and the figures (a run with a
    history only)."""
    if not results.history:
        return []
    ref = results.reference or ReferenceRecord()
    source = public_text(str(ref.source or "none declared"))
    lines = [
        "## This run beside the book",
        "",
        comparison_section(results),
        "",
        f"Book figures: {source}".replace("\n", " "),
        "",
    ]
    if ref.notes:
        lines += [f"Book text: {public_text(str(ref.notes))}.", ""]
    lines += ["## Per-epoch history", "", history_section(results), ""]
    if figures:
        lines += ["## Figures", "",
                  "Training as dots, validation as lines; this run in blue, the book in grey.",
                  ""]
        for metric in plotted_metrics(results):
            lines += [f"![{plot_title(results, metric)}]({png_name(metric)})", ""]
    return lines


def render_report(results: RunLike, figures: bool = True,
                  runs: list[dict[str, Any]] | None = None) -> str:
    """The Markdown report of one run: the band's verdict with this run's figure beside the
    book's first, then the run's setup, architecture, comparison with the book, history.

    Args:
        results: a results document (see :mod:`harness.results`).
        figures: link the PNGs of :func:`plotted_metrics` (written beside the report by
            :func:`write_report`).
        runs: rows of :func:`harness.runs.run_summaries`: adds a "Runs in this folder" table.
    """
    from ..figures import headline

    results = as_run(results)
    lines = _setup_lines(results)
    lines += [
        "## Architecture",
        "",
        "Expected figures from the spec; measured ones from the built model "
        "(`layer.count_params()`) and from the layer's equations (closed form).",
        "",
        architecture_section(results.architecture),
        "",
    ]
    lines += _contract_lines(results.data)
    lines += _book_lines(results, figures)
    if runs:
        lines += ["## Runs in this folder", "",
                  runs_section(runs, results.run_id, headline(results)), ""]
    lines += ["## Environment", "", environment_section(results.environment), ""]
    return "\n".join(lines)


def write_report(results: RunLike, folder: str | Path,
                 runs: list[dict[str, Any]] | None = None) -> Path:
    """Write ``report.md`` and, when the run has a history, a PNG per plotted metric
    (:func:`plotted_metrics`: ``loss.png``, ``accuracy.png`` when accuracy is recorded, ...)
    into ``folder``.

    Every file is written atomically (:func:`harness.runs.publish` also holds the folder lock).
    Returns the report's path.
    """
    folder = Path(folder)
    results = as_run(results)
    has_history = bool(results.history.get("loss"))
    if has_history:
        for metric in plotted_metrics(results):
            write_text_atomic(folder / png_name(metric), plot_history(results, metric))
    return write_text_atomic(folder / "report.md",
                             render_report(results, figures=has_history, runs=runs))


__all__ = ["band_line", "data_source", "public_text", "render_report", "write_report"]
