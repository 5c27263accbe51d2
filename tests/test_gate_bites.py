"""Prove the gate bites: on the real reviews, the unchanged catalog passes its CI gate against the
committed baseline (reports/baseline/); a library default changed underneath an unchanged spec
fails it with a regression; a baseline from another CPU model is compared, not skipped; a baseline
with no comparable runs exits with the no-baseline code; deliberately broken specs fail it.

Slow (they train the CI schedules: 10 to 30 minutes on 2 CPU cores, by the CPU); ``tox -e gate``
runs them, and ``.ci/run`` runs that env. The catalog's verdict is left in
reports/gate/verdict.md, ready to paste into a pull request.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from support import BASELINE, ROOT

from harness.cli import main
from harness.comparable import device_of
from harness.gate import load_run_files
from harness.results import shown_path
from harness.spec import discover_specs, load_specs

pytestmark = pytest.mark.slow


def _gate(specs: list[Path], archive: Path, out: Path, verdict: Path, *extra: str) -> str:
    code = main(["gate", "--run", *map(str, specs), "--data", str(archive), "--out", str(out),
                 "--baseline", str(BASELINE), "--verdict", str(verdict), *extra])
    text = verdict.read_text()
    expected = 1 if text.startswith("# Accuracy gate: FAIL") else (
        3 if text.startswith("# Accuracy gate: NO BASELINE") else 0)
    assert code == expected, text
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
        # what it can see is on the page, beside what it is asked to see
        assert re.search(r"- power: .* detects a drop of 0\.\d+ with 80% power", section), section


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


# A library default changed underneath the unchanged spec, the way an upgrade would change it:
# RMSprop's default learning rate halved, in the worker processes only (a sitecustomize module on
# their PYTHONPATH patches keras.src.optimizers.rmsprop when it is imported).
INJECTED_LEARNING_RATE = 0.0003  # Keras's default: 0.001
SITECUSTOMIZE = """
import importlib.machinery, pathlib, sys

class _ChangeDefault:
    def find_spec(self, name, path, target=None):
        if name != "keras.src.optimizers.rmsprop":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            defaults = list(module.RMSprop.__init__.__defaults__)
            defaults[0] = {lr}
            module.RMSprop.__init__.__defaults__ = tuple(defaults)
            pathlib.Path({marker!r}).touch()

        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, _ChangeDefault())
"""


def test_a_default_changed_underneath_the_spec_fails_with_regression(real_archive, tmp_path,
                                                                     monkeypatch):
    site, marker = tmp_path / "site", tmp_path / "default-changed"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE.format(lr=INJECTED_LEARNING_RATE,
                                                                marker=str(marker)))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (str(site), os.environ.get("PYTHONPATH")) if p))
    spec = ROOT / "specs" / "imdb_simple_rnn.yaml"
    text = _gate([spec], real_archive, tmp_path / "runs", tmp_path / "verdict.md", "--jobs", "2")
    assert marker.exists(), "the workers did not train under the changed default"
    section = _section(text, "imdb_simple_rnn")
    assert text.startswith("# Accuracy gate: FAIL") and section.startswith(
        "## imdb_simple_rnn: FAIL"), text
    # the spec is unchanged, so the baseline is comparable and the drop is a regression
    assert re.search(r"- baseline: \d+ comparable runs", section), section
    assert re.search(r"^\| best val_acc .*\| regression +\|$", section, flags=re.M), section
    assert "- regression: best val_acc mean" in section, section


def _by_cpu(spec_name: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for path, run in load_run_files([BASELINE / spec_name]):
        found.setdefault(device_of(run.environment), []).append(path)
    return found


def test_a_baseline_of_another_cpu_model_is_compared_not_skipped(tmp_path):
    kinds = _by_cpu("imdb_simple_rnn")
    assert len(kinds) >= 2, f"the committed baseline holds one CPU model only: {sorted(kinds)}"
    (here, current), (there, baseline) = sorted(kinds.items())[:2]
    for folder, paths in (("results", current), ("baseline", baseline)):
        runs = tmp_path / folder / "imdb_simple_rnn" / "runs"
        runs.mkdir(parents=True)
        for path in paths:
            shutil.copy(path, runs)
    verdict = tmp_path / "verdict.md"
    code = main(["gate", str(ROOT / "specs" / "imdb_simple_rnn.yaml"), "--results",
                 str(tmp_path / "results"), "--baseline", str(tmp_path / "baseline"),
                 "--verdict", str(verdict)])
    text = verdict.read_text()
    assert code in (0, 1), text  # judged: pass or fail, never "no baseline"
    section = _section(text, "imdb_simple_rnn")
    assert f"- baseline: {len(baseline)} comparable runs" in section, section
    assert f"- environment differs: device: {here} here; baseline {there} ({len(baseline)} runs)" \
        in section, section
    assert re.search(r"^\| best val_acc .*\| (pass|regression|improvement) +\|$", section,
                     flags=re.M), section


def test_a_baseline_without_comparable_runs_exits_with_the_no_baseline_code(tmp_path, capsys):
    kinds = _by_cpu("imdb_simple_rnn")
    paths = [p for group in kinds.values() for p in group]
    results = tmp_path / "results" / "imdb_simple_rnn" / "runs"
    stale = tmp_path / "baseline" / "imdb_simple_rnn" / "runs"
    results.mkdir(parents=True)
    stale.mkdir(parents=True)
    for path in paths[:4]:
        shutil.copy(path, results)
    for path in paths[4:]:  # the baseline of another data archive: not comparable
        run = json.loads(path.read_text())
        run["data"]["checksum"] = "0" * 64
        (stale / path.name).write_text(json.dumps(run))
    verdict = tmp_path / "verdict.md"
    code = main(["gate", str(ROOT / "specs" / "imdb_simple_rnn.yaml"), "--results",
                 str(tmp_path / "results"), "--baseline", str(tmp_path / "baseline"),
                 "--verdict", str(verdict)])
    first = verdict.read_text().splitlines()[0]
    assert code == 3, first
    assert first.startswith("# Accuracy gate: NO BASELINE for imdb_simple_rnn (best val_acc): "
                            "not comparable: the ") and "differ in data checksum" in first, first
    # the remedy names the spec relative to the project, as a user would type it
    assert first.endswith("remedy: harness calibrate "
                          + shown_path(ROOT / "specs" / "imdb_simple_rnn.yaml")), first
    assert capsys.readouterr().err.startswith("error: gate: no comparable baseline for "
                                              "imdb_simple_rnn")
