"""Paths and tables the test modules share (not a test module: pytest collects nothing here).

Test modules import these as ``from support import ...``: pytest puts ``tests/`` on
``sys.path`` when it loads ``tests/conftest.py``, for ``pytest`` from the root and for
``pytest tests/test_x.py`` alike. Fixtures live in ``conftest.py``; what a module needs at
import time (parametrize tables, paths in default arguments) lives here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent  # the project
DATA = ROOT / "tests" / "data"
SPECS = DATA / "specs"
TINY = DATA / "aclImdb_tiny"  # the hand-written reviews, Stanford layout
GOOD = SPECS / "good_tiny.yaml"  # the good tiny spec most pipeline tests run
FACTORIES = DATA / "factories"
RESULTS = DATA / "results"
REPORTS = ROOT / "reports"
BASELINE = REPORTS / "baseline"
CATALOG = sorted((ROOT / "specs").glob("*.yaml"))

# Relative to the project's root, where the gate's tests run: the golden verdict shows these paths.
GATE = Path("tests/data/gate")
GATE_SPEC = Path("tests/data/specs/good_gate.yaml")

# (file under SPECS, fragment the one-line message must contain); `harness validate` and
# `harness run` both stop on every one of them.
BAD_SPECS = [
    ("bad_yaml_syntax.yaml", "line 20, column 6: YAML syntax error: expected ',' or '}'"),
    ("bad_unknown_top_level_key.yaml", "unknown key 'trainer' in the top level; did you mean "
     "'train'?"),
    ("bad_misspelled_key.yaml", "unknown key 'optimiser' in train; did you mean 'optimizer'?"),
    ("bad_wrong_type.yaml", "train.epochs: must be an integer, got 'two'"),
    ("bad_unknown_layer.yaml", "model.layers[1].type: unknown layer type 'SimpleRnn'; did you "
     "mean 'SimpleRNN'?"),
    ("bad_shape_rank.yaml", "model.layers[1].expect.output_shape: a SimpleRNN here outputs rank "
     "2 (batch included), got [None, None, 3] of rank 3"),
    ("bad_band_order.yaml", "band: low must be <= high, got low=0.9 > high=0.8"),
    ("bad_band_range.yaml", "band: an accuracy lies in [0, 1], got low=0.8, high=1.5"),
    ("bad_missing_section.yaml", "data: is required for a spec that trains"),
    ("bad_input_length.yaml", "'input_length' is a Keras 2 argument that Keras 3 removed; "
     "remove it"),
    ("bad_duplicate_key.yaml", "line 19, column 34: YAML syntax error: duplicate key "
     "'num_words'"),
    ("bad_not_a_mapping.yaml", "a spec must be a mapping of sections, got list"),
    ("bad_ci_section.yaml", "ci.seeds: must be > 0, got 0"),  # and two more, in test_spec.py
    ("bad_unknown_argument.yaml", "model.layers[1].go_backward: unknown argument of SimpleRNN; "
     "did you mean 'go_backwards'?"),
    ("bad_unknown_metric.yaml", "train.metrics[0]: unknown metric 'acuracy'; did you mean "
     "'accuracy'?"),
    ("bad_wrapper_without_layer.yaml", "model.layers[1].layer: Bidirectional wraps a layer; give "
     "it as a nested mapping"),
    ("bad_keras2_lr.yaml", "train: 'lr' is the Keras 2 name; Keras 3 calls it 'learning_rate'"),
    ("bad_unknown_dataset.yaml", "data.dataset: unknown data source 'imbd'; did you mean 'imdb'?"),
    ("bad_band_metric.yaml", "band.metric: 'best_val_mae' reads 'val_mae', which this spec does "
     "not record"),
    ("bad_factory.yaml", "model.factory: must be 'package.module:function', got "
     "'models.py/build'"),
]


def run_on_tiny(harness: Callable[..., Any], spec: Path, out: Path, *extra: object) -> Any:
    """``harness run SPEC --data TINY --out OUT --mode default EXTRA...`` through the ``harness``
    fixture: the hand-written reviews, in Keras's default mode (no XLA compile to wait for).

    Returns:
        The fixture's ``CliResult`` (exit code, stdout, stderr).
    """
    return harness("run", spec, "--data", TINY, "--out", out, "--mode", "default", *extra)
