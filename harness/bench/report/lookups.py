"""What the bench report's sections look up in a results document: the measured records, a
spec's entry, a trial's epoch time, dates and the data's description, and a folded block."""

from __future__ import annotations

from ...result_types import BenchComparison, BenchDevice, BenchRecord, BenchResult, BenchSpec


def measured(results: BenchResult) -> list[BenchRecord]:
    """The records of trials that ran (a device that was not there has none here)."""
    return [r for r in results.benchmarks if r.status == "ok"]


def find(results: BenchResult, spec: str | None, device: str | None,
         mode: str | None) -> BenchRecord | None:
    """The measured record of one spec x device x mode, None when it did not run."""
    for rec in measured(results):
        if (rec.spec, rec.device, rec.mode) == (spec, device, mode):
            return rec
    return None


def trained_specs(results: BenchResult) -> list[BenchSpec]:
    return [s for s in results.specs if s.status == "ok"]


def spec_entry(results: BenchResult, name: str | None) -> BenchSpec:
    """The spec's entry of the results (an empty one when the spec is not listed)."""
    return next((e for e in results.specs if e.name == name), BenchSpec())


def epoch(rec: BenchRecord | None) -> float | None:
    """The median timed epoch (s) of a record's harness training."""
    return rec.train.median_epoch_time_s if rec and rec.train else None


def measured_devices(results: BenchResult) -> list[str]:
    return [d.device or "?" for d in results.devices if d.status == "ok"]


def missing_devices(results: BenchResult) -> list[BenchDevice]:
    return [d for d in results.devices if d.status != "ok"]


def speedup_ratio(comp: BenchComparison) -> float | None:
    """The xla speed-up over the plain script with Keras defaults (fastest rounds)."""
    speed = comp.speedup_xla_vs_plain_default
    return speed.ratio if speed else None


def spread(comp: BenchComparison, mode: str) -> float | None:
    """Slowest over fastest whole-fit round of the plain script in ``mode``: the run's noise."""
    rounds = next((t.timed_s for t in comp.trials if (t.variant, t.mode) == ("plain", mode)),
                  None)
    return max(rounds) / min(rounds) if rounds and min(rounds) > 0 else None


def date(stamp: str | None) -> str:
    """``2026-12-01T02:17:22Z`` -> ``2026-12-01 02:17 UTC``."""
    if not stamp:
        return "date not recorded"
    return stamp.replace("T", " ")[:16] + " UTC"


def data_text(results: BenchResult, short: bool = False) -> str:
    """What the bench trained on: full epochs, or the first N reviews."""
    s = results.settings
    if s.full_epochs:
        return ("full epochs (all 25,000 IMDB training reviews)" if short else
                "full epochs: all 25,000 training reviews of the real IMDB set, split by each "
                "spec's validation_split (the book's 20,000 + 5,000)")
    n = s.train_samples
    text = f"the first {n:,} IMDB training reviews" if n else "a slice of the IMDB reviews"
    return text if short else text + " (real reviews), split by each spec's validation_split"


def verdict(ok: bool | None) -> str:
    """A target's cell: ``yes``, ``NO``, or ``-`` when it could not be decided."""
    return "-" if ok is None else ("yes" if ok else "NO")


def details(summary: str, body: list[str]) -> list[str]:
    """A folded ``<details>`` block of the report."""
    return [f"<details><summary>{summary}</summary>", "", *body, "</details>", ""]


__all__ = ["data_text", "date", "details", "epoch", "find", "measured", "measured_devices",
           "missing_devices", "spec_entry", "speedup_ratio", "spread", "trained_specs",
           "verdict"]
