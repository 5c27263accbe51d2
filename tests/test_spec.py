"""harness.spec: the catalog loads; every bad spec in tests/data/specs gets its message."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import SpecError
from harness.spec import discover_specs, load_spec, load_specs, parse_spec

ROOT = Path(__file__).resolve().parent.parent
SPECS = Path(__file__).resolve().parent / "data" / "specs"

# (file, fragment the one-line message must contain)
BAD_SPECS = [
    ("bad_yaml_syntax.yaml", "line 20, column 6: YAML syntax error: expected ',' or '}'"),
    ("bad_unknown_top_level_key.yaml", "unknown key 'trainer' in the top level; did you mean "
     "'train'?"),
    ("bad_misspelled_key.yaml", "unknown key 'optimiser' in train; did you mean 'optimizer'?"),
    ("bad_wrong_type.yaml", "train.epochs: must be an integer, got 'two'"),
    ("bad_unknown_layer.yaml", "model.layers[1].type: unknown layer type 'SimpleRnn'; did you "
     "mean 'SimpleRNN'?"),
    ("bad_units.yaml", "model.layers[1].units: must be > 0, got -3"),
    ("bad_shape_rank.yaml", "model.layers[1].expect.output_shape: a SimpleRNN here outputs rank "
     "2 (batch included), got [None, None, 3] of rank 3"),
    ("bad_band_order.yaml", "band: low must be <= high, got low=0.9 > high=0.8"),
    ("bad_band_range.yaml", "band.high: must be <= 1.0, got 1.5"),
    ("bad_missing_section.yaml", "data: is required for a spec that trains"),
    ("bad_input_length.yaml", "'input_length' is a Keras 2 argument that Keras 3 removed; "
     "remove it"),
    ("bad_duplicate_key.yaml", "line 19, column 34: YAML syntax error: duplicate key "
     "'num_words'"),
    ("bad_not_a_mapping.yaml", "a spec must be a mapping of sections, got list"),
    ("bad_ci_section.yaml", "ci.seeds: must be > 0, got 0"),  # and two more, listed below
]


def test_catalog_specs_load():
    specs = load_specs(discover_specs([ROOT / "specs"]))
    assert "imdb_simple_rnn" in {s.name for s in specs}


def test_simple_rnn_spec_is_the_books_classifier():
    spec = load_spec(ROOT / "specs" / "imdb_simple_rnn.yaml")
    assert [layer.type for layer in spec.model.layers] == ["Embedding", "SimpleRNN", "Dense"]
    assert [layer.expect.params for layer in spec.model.layers] == [320000, 2080, 33]
    assert spec.model.expect.total_params == 322113
    assert (spec.train.epochs, spec.train.batch_size, spec.train.validation_split) == (10, 128, 0.2)
    assert (spec.data.num_words, spec.data.maxlen, spec.data.padding) == (10000, 500, "pre")
    assert (spec.band.low, spec.band.high) == (0.80, 0.90)
    assert len(spec.reference.history.val_acc) == 10 and spec.reference.seconds_per_epoch == 25


def test_spec_is_frozen_and_typed():
    spec = load_spec(SPECS / "good_tiny.yaml")
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        spec.name = "other"
    assert spec.model.layers[1].keras_config() == {"units": 3}


def test_content_hash_ignores_band_and_reference_but_not_training():
    base = load_spec(SPECS / "good_tiny.yaml")
    doc = base.model_dump(mode="json")
    doc["band"]["low"] = 0.5
    assert parse_spec(doc).content_hash() == base.content_hash()
    doc["train"]["epochs"] = 3
    assert parse_spec(doc).content_hash() != base.content_hash()


@pytest.mark.parametrize(("name", "message"), BAD_SPECS, ids=[b[0] for b in BAD_SPECS])
def test_bad_spec_message(name, message):
    path = SPECS / name
    with pytest.raises(SpecError) as exc:
        load_spec(path)
    assert any(message in p for p in exc.value.problems), exc.value.problems
    assert str(exc.value).startswith(f"{path}: ")


def test_every_bad_spec_file_is_in_the_table():
    listed = {b[0] for b in BAD_SPECS} | {"bad_params.yaml", "bad_same_name.yaml"}
    assert {p.name for p in SPECS.glob("bad_*.yaml")} == listed


def test_all_problems_of_a_file_are_reported_at_once():
    doc = load_spec(SPECS / "good_tiny.yaml").model_dump(mode="json", exclude_unset=True)
    doc["train"]["optimiser"] = "adam"
    doc["model"]["layers"][1]["units"] = 0
    doc["data"]["padding"] = "front"
    with pytest.raises(SpecError) as exc:
        parse_spec(doc, "x.yaml")
    text = str(exc.value)
    assert "unknown key 'optimiser' in train" in text
    assert "model.layers[1].units: must be > 0, got 0" in text
    assert "data.padding: must be one of 'pre' or 'post', got 'front'" in text


def test_two_specs_with_the_same_name():
    with pytest.raises(SpecError, match="'tiny_rnn' is already the name of"):
        load_specs([SPECS / "good_tiny.yaml", SPECS / "bad_same_name.yaml"])


def test_missing_spec_file(tmp_path):
    with pytest.raises(SpecError, match="no such spec file"):
        load_spec(tmp_path / "nope.yaml")


def test_empty_spec_file(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(SpecError, match="got an empty file"):
        load_spec(empty)


def test_ci_section_reports_every_problem():
    with pytest.raises(SpecError) as exc:
        load_spec(SPECS / "bad_ci_section.yaml")
    assert exc.value.problems == [
        "ci.seeds: must be > 0, got 0",
        "ci.band: low must be <= high, got low=0.9 > high=0.8",
        "unknown key 'best_val_accuracy' in ci.min_effect; did you mean 'best_val_acc'?",
    ]


def test_content_hash_leaves_out_the_ci_section_and_defaults():
    base = load_spec(SPECS / "good_tiny.yaml")
    doc = base.model_dump(mode="json", exclude_unset=True)
    doc.pop("ci")
    doc["data"]["padding"] = "pre"  # the default, now written out
    assert parse_spec(doc).content_hash() == base.content_hash()
    doc["model"]["layers"][1]["expect"]["params"] = 25  # an expectation is not an input
    assert parse_spec(doc).content_hash() == base.content_hash()
    doc["data"]["padding"] = "post"
    changed = parse_spec(doc)
    assert changed.content_hash() != base.content_hash()
    assert [k for k, v in changed.section_hashes().items()
            if v != base.section_hashes()[k]] == ["data"]


def test_known_names_are_the_ones_keras_resolves():
    import keras

    from harness.spec import ACTIVATIONS, LOSSES, OPTIMIZERS

    for name in ACTIVATIONS:
        assert callable(keras.activations.get(name)), name
    for name in OPTIMIZERS:
        assert isinstance(keras.optimizers.get(name), keras.optimizers.Optimizer), name
    for name in LOSSES:
        assert callable(keras.losses.get(name)), name


@pytest.mark.parametrize(("section", "key", "value", "message"), [
    ("train", "optimizer", "rmsprob", "train.optimizer: unknown optimizer 'rmsprob'; did you "
     "mean 'rmsprop'?"),
    ("train", "loss", "binary_crossentropyy", "train.loss: unknown loss 'binary_crossentropyy'; "
     "did you mean 'binary_crossentropy'?"),
])
def test_misspelled_keras_names(section, key, value, message):
    doc = load_spec(SPECS / "good_tiny.yaml").model_dump(mode="json", exclude_unset=True)
    doc[section][key] = value
    with pytest.raises(SpecError) as exc:
        parse_spec(doc, "x.yaml")
    assert message in str(exc.value)
