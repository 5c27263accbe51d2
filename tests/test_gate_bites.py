"""Prove the gate bites: on the real reviews, the unchanged catalog passes its CI gate against the
committed baseline (reports/baseline/), and deliberately broken variants fail it.

Slow (they train the CI schedules: about 10 minutes on 2 CPU cores); ``tox -e gate`` runs them,
and ``.ci/run`` runs that env. The catalog's verdict is left in reports/gate/verdict.md, ready to
paste into a pull request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from harness.cli import main
from harness.spec import discover_specs, load_specs

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "reports" / "baseline"


def _gate(specs: list[Path], archive: Path, out: Path, verdict: Path, *extra: str) -> str:
    code = main(["gate", "--run", *map(str, specs), "--data", str(archive), "--out", str(out),
                 "--baseline", str(BASELINE), "--verdict", str(verdict), *extra])
    text = verdict.read_text()
    assert code == (1 if text.startswith("# Accuracy gate: FAIL") else 0), text
    return text


def _variant(tmp_path: Path, name: str, change: Callable[[dict], None]) -> Path:
    """A copy of a catalog spec with one deliberate mistake; same name, so same baseline."""
    doc = yaml.safe_load((ROOT / "specs" / name).read_text())
    change(doc)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _section(text: str, name: str) -> str:
    match = re.search(rf"^## {name}: .*?(?=^## |\Z)", text, flags=re.S | re.M)
    assert match, text
    return match.group(0)


def test_the_unchanged_catalog_passes(real_archive, tmp_path):
    verdict = ROOT / "reports" / "gate" / "verdict.md"
    text = _gate([ROOT / "specs"], real_archive, tmp_path / "runs", verdict)
    assert text.startswith("# Accuracy gate: PASS"), text
    gated = [s for s in load_specs(discover_specs([ROOT / "specs"])) if s.ci is not None]
    assert {"imdb_simple_rnn", "imdb_lstm"} <= {s.name for s in gated}
    for spec in gated:
        section = _section(text, spec.name)
        assert section.startswith(f"## {spec.name}: pass"), section
        # judged against its committed baseline, not merely against its band
        assert re.search(r"- baseline: \d+ comparable runs", section), section
        # No gated regression or band miss (epoch time is reported, not gated: "slower (not
        # gated)" says how busy the shared CPU was)
        assert not re.search(r"\| regression +\|", section) and "| MISS" not in section, section


def test_post_padded_lstm_without_a_mask_fails(real_archive, tmp_path):
    def post_padding(doc: dict) -> None:
        doc["data"]["padding"] = "post"
        assert not any(layer.get("mask_zero") for layer in doc["model"]["layers"])

    spec = _variant(tmp_path, "imdb_lstm.yaml", post_padding)
    text = _gate([spec], real_archive, tmp_path / "runs", tmp_path / "verdict.md", "--seeds", "1")
    assert text.startswith("# Accuracy gate: FAIL"), text
    # 1 run is enough: an LSTM that ends on ~300 padding steps forgets the review
    assert "- stuck at chance: 1 of 1 runs" in text, text
    assert "- band miss: best_val_acc mean" in text, text
    # the baseline belongs to the pre-padded spec: named, not compared
    assert "not comparable" in text and "data section changed" in text, text


def test_learning_rate_100x_too_large_fails(real_archive, tmp_path):
    def lr_100x(doc: dict) -> None:
        assert doc["train"]["optimizer"] == "rmsprop" and "learning_rate" not in doc["train"]
        doc["train"]["learning_rate"] = 0.1  # RMSprop's default is 0.001

    spec = _variant(tmp_path, "imdb_simple_rnn.yaml", lr_100x)
    text = _gate([spec], real_archive, tmp_path / "runs", tmp_path / "verdict.md", "--seeds", "1")
    assert text.startswith("# Accuracy gate: FAIL"), text
    assert "- band miss: best_val_acc" in text or "- NaN or infinite loss" in text, text
    assert "train section changed" in text, text
