"""The bench report's headline: one table per spec and measured device (epoch time per mode,
the ``xla`` speed-up over the plain Keras script, the harness overhead, the committed full run's
accuracy in its band beside the published figure), a few one-line notes and the chart, all on
one screen."""

from __future__ import annotations

import statistics
from typing import Any

from ...formatting import cell, markdown_table
from ...result_types import BenchLike, BenchResult, BenchSpec
from ..options import EPOCH_CLOCK
from .chart import CHART_PNG
from .load import as_bench
from .lookups import (
    data_text,
    date,
    epoch,
    find,
    measured_devices,
    missing_devices,
    spec_entry,
    speedup_ratio,
    verdict,
)


def _accuracy_cells(entry: BenchSpec) -> list[str]:
    """``accuracy: ours / published``, band and in-band cells from the committed full run."""
    full = entry.full_run
    if not full:
        return ["no full run committed", "-", "-"]
    band = full.band
    if not band or not band.to_json_dict():
        return ["no band", "-", "-"]
    published = full.published.value if full.published else None
    ours = f"{band.metric} {cell(band.value, '{:.4f}')} / {cell(published, '{:.4f}')}"
    in_band = None if band.verdict is None else band.verdict == "pass"
    return [ours, f"[{band.low:.2f}, {band.high:.2f}]", verdict(in_band)]


def headline_table(results: BenchLike) -> str:
    """Per spec and measured device: the harness's epoch time per mode, the ``xla`` speed-up
    over the plain Keras script, the harness overhead per mode, and the committed full run's
    accuracy with the published figure and the band."""
    results = as_bench(results)
    s = results.settings
    modes = s.modes
    speedup_target = s.speedup_target
    overhead_target = s.overhead_target
    rows = []
    for comp in results.comparisons:
        spec, dev = comp.spec, comp.device
        speed = speedup_ratio(comp)
        overhead = [o.ratio_in_fit if (o := comp.overhead.get(m)) else None for m in modes]
        missed = [m for m, o in zip(modes, overhead, strict=True)
                  if o is not None and overhead_target and o > overhead_target]
        overhead_text = " / ".join(cell(o, "{:.3f}") for o in overhead)
        if any(o is not None for o in overhead) and overhead_target:
            overhead_text += f" (NOT met: {', '.join(missed)})" if missed else " (met)"
        speed_text = cell(speed, "{:.2f}")
        if speed is not None and speedup_target:
            speed_text += " (met)" if speed >= speedup_target else " (NOT met)"
        rows.append([spec, dev,
                     *[cell(epoch(find(results, spec, dev, m)), "{:.2f}") for m in modes],
                     speed_text, overhead_text, *_accuracy_cells(spec_entry(results, spec))])
    if not rows:
        return "No device was measured."
    target = f", >= {speedup_target:g}" if speedup_target else ""
    limit = f", <= {overhead_target:g}" if overhead_target else ""
    return markdown_table(rows, ["spec", "device"] + [f"epoch, {m} (s)" for m in modes]
                          + [f"xla speed-up over plain Keras (x{target})",
                             f"harness overhead, {' / '.join(modes)} (x{limit})",
                             "accuracy: ours / published", "band", "in band"])


def _targets_line(results: BenchResult) -> str | None:
    comps = results.comparisons
    speed = [x.ratio >= x.target for c in comps if (x := c.speedup_xla_vs_plain_default)
             and x.ratio is not None and x.target is not None]
    over = [o.ratio_in_fit <= o.target for c in comps for o in c.overhead.values()
            if o.ratio_in_fit is not None and o.target is not None]
    if not speed and not over:
        return None
    parts = []
    if speed:
        parts.append(f"xla speed-up met in {sum(speed)} of {len(speed)} (spec x device)")
    if over:
        parts.append(f"harness overhead met in {sum(over)} of {len(over)} "
                     "(spec x device x mode)")
    return ("- targets: " + "; ".join(parts) + ". Epoch: the median of the timed epochs through "
            "the harness; ratios: the fastest round of each variant (see Targets in detail)")


def _source_lines(results: BenchResult) -> list[str]:
    """Where the accuracy columns come from: each spec's committed full run (another run: path
    and date) and its published reference."""
    lines = []
    for comp_spec in dict.fromkeys(c.spec for c in results.comparisons):
        entry = spec_entry(results, comp_spec)
        full = entry.full_run
        if not full:
            continue
        text = (f"  - `{comp_spec}`: `{full.path}` "
                f"({date(full.finished_utc or full.created_utc)}, "
                f"`{full.mode}`, {full.epochs_done} epochs"
                + ("" if full.same_spec_hash else "; the spec changed since")
                + ")")
        if full.published and full.published.source:
            text += f"; published: {full.published.source}"
        lines.append(text)
    if not lines:
        return []
    return ["- accuracy, not measured by the bench: ours is each spec's committed full run "
            "(another run, all 25,000 reviews), beside the published figure:"] + lines


def _pytest_benchmark_line(results: BenchResult, pytest_json: dict[str, Any] | None,
                           path: str | None) -> str | None:
    """One line on a pytest-benchmark file given with the bench: a separate run, so none of its
    figures are repeated; how far its train-epoch medians are from this run's."""
    if pytest_json is None:
        return None
    where = f"`{path}`" if path else "the pytest-benchmark file"
    commit = str((pytest_json.get("commit_info") or {}).get("id") or "")[:12]
    head = (f"- pytest-benchmark: {where} is a separate run "
            f"({date(str(pytest_json.get('datetime') or '')[:19] or None)}"
            + (f", commit {commit}" if commit else "") + ")")
    repeated = "its figures are not repeated here"
    epochs = [b for b in pytest_json.get("benchmarks") or []
              if (b.get("extra_info") or {}).get("measure") == "train_epoch"]
    same = [b for b in epochs if (b.get("extra_info") or {}).get("clock") == EPOCH_CLOCK]
    if epochs and not same:
        return head + ("; its train epochs time whole `fit` calls, not the epoch this report "
                       f"times, so they are not comparable; {repeated}")
    diffs = []
    for b in same:
        extra = b["extra_info"]
        ours = epoch(find(results, extra.get("spec"), extra.get("device"), extra.get("mode")))
        theirs = (b.get("stats") or {}).get("median")
        if ours and theirs:
            diffs.append((abs(theirs - ours) / ours,
                          f"{extra['spec']} {extra['device']} {extra['mode']}"))
    if not diffs:
        return head + f"; no train epoch of it matches this run's; {repeated}"
    worst, typical = max(diffs), statistics.median(d for d, _ in diffs)
    return (head + f" of the same measurement (the harness's epoch clock); {repeated}\n"
            f"  - its train-epoch medians ({len(diffs)}) differ from this run's by "
            f"{typical:.0%} (median), at most {worst[0]:.0%} ({worst[1]})")


def headline_section(results: BenchLike, pytest_json: dict[str, Any] | None = None,
                     pytest_path: str | None = None, chart: bool = True) -> list[str]:
    """The report's first screen: title, when and where it ran, :func:`headline_table`, the
    targets' tally, where the accuracy comes from, devices and specs not measured, the
    pytest-benchmark line and the chart; as lines of Markdown."""
    results = as_bench(results)
    cpu = results.environment.cpu
    devices = measured_devices(results)
    title = (f"# Benchmarks: {data_text(results, short=True)}, on "
             f"{' and '.join(d.upper() for d in devices) or 'no device'}")
    start, end = results.created_utc, results.finished_utc
    until = date(end)[11:] if end else "?"
    run = (f"Measured by `harness bench` from {date(start)} to {until} "
           f"({cell(results.elapsed_s, '{:.0f}')} s) on {cpu.model or 'an unknown CPU'}"
           f" ({cpu.cores or '?'} cores); every figure is from this run unless it names "
           "another.")
    lines = [title, "", run, "", headline_table(results), ""]
    lines += [x for x in [_targets_line(results)] if x]
    lines += _source_lines(results)
    for d in missing_devices(results):
        lines.append(f"- {d.device}: not measured: {d.reason or 'no reason given'}"
                     + (f" ({d.detail})" if d.detail else ""))
    skipped = [s for s in results.specs if s.status != "ok"]
    reasons: dict[str, list[str]] = {}
    for s in skipped:
        reasons.setdefault(s.reason or "no reason given", []).append(f"`{s.name}`")
    lines += [f"- not benched, {reason}: {', '.join(names)}" for reason, names in reasons.items()]
    if not results.settings.full_epochs:
        lines.append("- on this slice the speed-up reads lower than on full epochs; the targets "
                     "are per epoch of the book's training, decided on full epochs by `tox -e "
                     "bench`: [full/report.md](full/report.md)")
    lines += [x for x in [_pytest_benchmark_line(results, pytest_json, pytest_path)] if x]
    lines.append("")
    if chart:
        lines += [f"![Epoch time per spec and mode, and the xla speed-up (linear axes from "
                  f"zero)]({CHART_PNG})", ""]
    return lines


__all__ = ["headline_section", "headline_table"]
