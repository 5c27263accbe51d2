"""The verdict as Markdown (:func:`render_verdict`, ready to paste into a pull request) and as
a document for scripts (:func:`verdict_document`, ``harness gate --json``). Tables are
:func:`harness.formatting.markdown_table`'s."""

from __future__ import annotations

from ..comparable import device_of, short
from ..figures import direction_text
from ..figures import label as figure_label
from ..formatting import markdown_table
from ..pipeline.bands import inside
from ..power import detectable_effect, pooled_std
from ..result_types import GroupVerdict, MetricVerdict, SummaryRecord, VerdictDocument
from ..results import shown_path
from ..stats import METRICS, Summary
from .cells import ci_cell, figure_cell, mean_std_cell
from .group import ACCURACY_METRICS, NO_BASELINE_EXIT, Group, compare, seed_list
from .verdict import Verdict


def metrics_table(group: Group) -> str:
    """The verdict table of one group: a row per metric, the figures behind each verdict."""
    rows = []
    for metric, (label, better) in METRICS.items():
        c = compare(group, metric)
        if better > 0:
            change = figure_cell(metric, c.change, signed=True)
            effect = "-" if c.min_effect is None else f"{c.min_effect:.4f}"
        else:
            change = "-" if c.change is None else f"{c.change:+.1f}%"
            effect = "-" if c.min_effect is None else f"{c.min_effect:g}%"
        band = "-"
        if group.band is not None and group.band.metric == metric and c.current is not None:
            where = 'inside' if inside(group.band, c.current.mean) else 'MISS'
            band = f"{where} [{group.band.low:.2f}, {group.band.high:.2f}]"
        p = "-" if c.p is None else f"{c.p:.3g} ({c.test})"
        detectable = "-" if c.detectable is None else f"{c.detectable:.4f}"
        rows.append([label, mean_std_cell(metric, c.current), ci_cell(metric, c.current),
                     mean_std_cell(metric, c.baseline), change, p, detectable, effect, band,
                     c.verdict])
    if group.band is not None and group.band.metric not in METRICS:
        rows.append(band_row(group))
    return markdown_table(rows, ["metric", "mean ± std (runs)", "95% CI",
                                 "baseline mean ± std (runs)", "change", "p (one-sided)",
                                 "detectable (80%)", "min effect", "band", "verdict"])


def power_lines(group: Group) -> list[str]:
    """What the gate can see for each gated accuracy metric: the drop it detects with 80%
    power beside the min_effect it is asked to see, with a warning when it cannot see it."""
    lines = []
    for metric in (m for m in group.gated if m in ACCURACY_METRICS):
        current, baseline = group.summaries[metric], group.baseline_summaries[metric]
        detectable, effect = group.detectable(metric), group.min_effect[metric]
        label = METRICS[metric][0]
        if detectable is None or current is None or baseline is None:
            lines.append(f"- power: {label}: no detectable effect can be computed "
                         f"({'no baseline' if baseline is None else 'too few runs'})")
            continue
        std = pooled_std(current.values, baseline.values) or 0.0
        line = (f"- power: {label}: detects a drop of {detectable:.4f} with 80% power "
                f"({current.n} runs vs {baseline.n}, std {std:.4f}, one-sided alpha "
                f"{group.metric_alpha:.3g}); asked to see {effect}")
        if effect is not None and detectable > effect:
            need = runs_needed(std, baseline.n, group.metric_alpha, effect)
            line += (f": WARNING: it cannot see a drop of {effect} "
                     + (f"(it would with {need} runs against this baseline)" if need else
                        "(not with any number of runs against this baseline: record more "
                        f"baseline runs, harness calibrate {shown_path(group.spec.path)} "
                        "--extend 16)"))
        lines.append(line)
    return lines


def runs_needed(std: float, n_baseline: int, alpha: float, effect: float) -> int | None:
    """The fewest runs under test whose detectable drop is at most ``effect`` (None: above 64)."""
    for n in range(2, 65):
        found = detectable_effect(std, n, n_baseline, alpha)
        if found is not None and found <= effect:
            return n
    return None


def band_row(group: Group) -> list[str]:
    """The verdict table's row of a band on a figure the gate does not test for regressions
    (``best_val_loss``, ``final_val_mae``): its mean, and inside or outside the band."""
    band = group.band
    assert band is not None
    now, before = group.band_summary, group.baseline_band_summary
    change = "-" if now is None or before is None else figure_cell(
        band.metric, now.mean - before.mean, signed=True)
    where = "-" if now is None else (
        f"{'inside' if inside(band, now.mean) else 'MISS'} "
        f"[{band.low:.2f}, {band.high:.2f}]")
    return [f"{figure_label(band.metric)} ({direction_text(band.lower_is_better)})",
            mean_std_cell(band.metric, now), ci_cell(band.metric, now),
            mean_std_cell(band.metric, before),
            change, "-", "-", where, "band only" if now is not None else "no result"]


def describe_runs(group: Group) -> str:
    run = group.runs[0]
    name = run.schedule.given("name", "?")
    execution = run.execution
    det = "deterministic" if execution.deterministic else "not deterministic"
    return (f"{len(group.runs)} run(s), seed {seed_list(group.runs)}; {name} schedule: "
            f"{short(run.schedule.identity())}; mode {execution.mode}, {det}; "
            f"{device_of(run.environment)}")


def verdict_document(verdict: Verdict) -> VerdictDocument:
    """The verdict for scripts (``harness gate --json``): its state and exit code, and per spec
    every metric's figures (means, standard deviations, runs, change, one-sided p, the level it
    was held to, the detectable drop at 80% power, min_effect, verdict)."""
    def summary(s: Summary | None) -> SummaryRecord | None:
        return None if s is None else SummaryRecord(n=s.n, mean=s.mean, std=s.std)

    exit_code = 1 if verdict.failed else (
        NO_BASELINE_EXIT if verdict.state == "NO BASELINE" else 0)
    groups = []
    for group, failures in zip(verdict.groups, verdict.failures, strict=True):
        metrics = {}
        for metric in METRICS:
            c = compare(group, metric)
            metrics[metric] = MetricVerdict(
                current=summary(c.current), baseline=summary(c.baseline), change=c.change,
                p=c.p, test=c.test, alpha=c.alpha, detectable=c.detectable,
                min_effect=c.min_effect, gated=metric in group.gated, verdict=c.verdict)
        groups.append(GroupVerdict(
            spec=group.spec.name, path=shown_path(group.spec.path),
            state=group_state(group, failures), failures=failures, runs=len(group.runs),
            baseline_runs=len(group.baseline), baseline_note=group.baseline_note,
            environment=group.environment, notes=group.notes, references=group.references,
            metrics=metrics))
    return VerdictDocument(
        schema_version=1, state=verdict.state, exit_code=exit_code,
        headline=verdict.headline(), missing_baseline=verdict.missing(), groups=groups,
        not_comparable=verdict.not_comparable, skipped=verdict.skipped,
        judged_against=verdict.judged_against)


def group_state(group: Group, failures: list[str]) -> str:
    if failures:
        return "FAIL"
    return "NO BASELINE" if group.missing_baseline() else "pass"


def render_verdict(verdict: Verdict) -> str:
    """The verdict as Markdown, ready to paste into a pull request."""
    lines = [verdict.headline(), ""]
    summary = []
    for group, failures in zip(verdict.groups, verdict.failures, strict=True):
        baseline = f"{len(group.baseline)} runs" if group.baseline else (
            "not comparable" if (group.baseline_note or "").startswith("not comparable")
            else "none")
        summary.append([group.spec.name, len(group.runs), baseline, group_state(group, failures)])
    if summary:
        lines += [markdown_table(summary, ["spec", "runs", "baseline", "verdict"]), ""]
    lines += [f"- judged against: {line}" for line in verdict.judged_against]
    if verdict.judged_against:
        lines.append("")
    for group, failures in zip(verdict.groups, verdict.failures, strict=True):
        lines += [f"## {group.spec.name}: {group_state(group, failures)}", "",
                  f"- runs: {describe_runs(group)}"]
        if group.baseline:
            lines.append(f"- baseline: {len(group.baseline)} comparable runs, seed "
                         f"{seed_list(group.baseline)}")
            lines += [f"- environment differs: {line}" for line in group.environment]
            if group.timing_note:
                lines.append(f"- epoch time: {group.timing_note}")
        else:
            lines.append(f"- baseline: {group.baseline_note}")
        lines += power_lines(group)
        if group.band is not None:
            lower = " (lower is better)" if group.band.lower_is_better else ""
            lines.append(f"- band: {group.band.metric}{lower} in [{group.band.low:.2f}, "
                         f"{group.band.high:.2f}] ({group.band_source}), checked on the seed mean")
        lines += [f"- note: {n}" for n in group.notes]
        lines += [f"- reference {line}" for line in group.references]
        lines += ["", metrics_table(group), ""]
        if failures:
            lines += ["Failures:", ""] + [f"- {f}" for f in failures] + [""]
    if verdict.not_comparable or verdict.skipped:
        lines += ["## Not gated", ""]
        lines += [f"- {n}" for n in verdict.not_comparable + verdict.skipped] + [""]
    lines += ["Regression: a drop of the seed mean of a gated metric (one the spec's "
              "ci.min_effect names) that is significant: one-sided Welch t-test at ci.alpha "
              "divided by the number of gated metrics. Detectable: the drop caught with 80% "
              "power by these runs; min_effect is the drop the gate must be able to see. Band: "
              "checked on the seed mean. Accuracy and loss are compared with runs of the same "
              "spec hash, schedule and data checksum on any machine (the differences are "
              "listed); epoch times only on the same machine, device and mode.", ""]
    return "\n".join(lines)
