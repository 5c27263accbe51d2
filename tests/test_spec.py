"""harness.spec: the catalog loads; every bad spec in tests/data/specs gets its message."""

from __future__ import annotations

import pytest
from support import BAD_SPECS, ROOT, SPECS

from harness.errors import SpecError
from harness.spec import discover_specs, load_spec, load_specs, parse_spec


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
    assert len(spec.reference.history["val_acc"]) == 10
    assert spec.reference.epoch_seconds() == 19  # the notebook's median epoch (s)


def test_spec_is_frozen_and_typed():
    spec = load_spec(SPECS / "good_tiny.yaml")
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        spec.name = "other"
    assert spec.model.layers[1].keras_config() == {"units": 3}
    assert spec.model.layers[1].arg("return_sequences") is False  # Keras's default


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
    # bad_units.yaml breaks only what Keras judges (tests/test_build.py), bad_params.yaml only
    # the built model (tests/test_verify.py), bad_same_name.yaml only beside good_tiny.yaml.
    listed = {b[0] for b in BAD_SPECS} | {"bad_params.yaml", "bad_same_name.yaml",
                                          "bad_units.yaml"}
    assert {p.name for p in SPECS.glob("bad_*.yaml")} == listed


def test_all_problems_of_a_file_are_reported_at_once():
    doc = load_spec(SPECS / "good_tiny.yaml").model_dump(mode="json", exclude_unset=True)
    doc["train"]["optimiser"] = "adam"
    doc["model"]["layers"][1]["unit"] = 3
    doc["data"]["padding"] = "front"
    with pytest.raises(SpecError) as exc:
        parse_spec(doc, "x.yaml")
    text = str(exc.value)
    assert "unknown key 'optimiser' in train" in text
    assert "model.layers[1].unit: unknown argument of SimpleRNN; did you mean 'units'?" in text
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


def test_catalog_has_every_notebook_model():
    # The 21 models of the first-edition notebooks 3.5 and 6.1-6.4, plus the GRU variants.
    specs = load_specs(discover_specs([ROOT / "specs"]))
    cited = [s for s in specs if "deep-learning-with-python-notebooks" in s.source]
    assert len(cited) == 21
    summaries = [s for s in cited if s.reference and s.reference.summary_matches]
    assert len(summaries) == 8


def test_wrapped_layer_and_frozen_layer():
    doc = {"name": "w", "model": {"input": {"shape": [None]}, "layers": [
        {"type": "Embedding", "input_dim": 10, "output_dim": 4, "trainable": False},
        {"type": "Bidirectional", "layer": {"type": "LSTM", "units": 3, "go_backwards": False}},
    ]}}
    spec = parse_spec(doc, "w.yaml")
    outer = spec.model.layers[1]
    assert outer.describe() == "Bidirectional(LSTM)"
    assert outer.keras_config()["layer"]["config"] == {"units": 3, "go_backwards": False}
    assert spec.model.layers[0].keras_config()["trainable"] is False
    # Writing out a Keras default does not change what the spec hashes to.
    doc["model"]["layers"][1]["layer"].pop("go_backwards")
    assert parse_spec(doc, "w.yaml").content_hash() == spec.content_hash()


def test_nested_layer_problems_name_their_path():
    doc = {"name": "w", "model": {"input": {"shape": [None]}, "layers": [
        {"type": "Bidirectional", "layer": {"type": "LSTN", "units": 3}}]}}
    with pytest.raises(SpecError) as exc:
        parse_spec(doc, "w.yaml")
    assert ("model.layers[0].layer.type: unknown layer type 'LSTN'; did you mean 'LSTM'?"
            in str(exc.value))


def test_committed_specs_keep_their_hashes():
    # The gate's baseline runs carry the hash of the spec they ran; a change to how specs are
    # parsed must not make them incomparable.
    import json

    for name in ("imdb_simple_rnn", "imdb_lstm", "imdb_dense_baseline"):
        run = next((ROOT / "reports" / "baseline" / name / "runs").glob("*.json"))
        recorded = json.loads(run.read_text())["spec"]["hash"]
        assert load_spec(ROOT / "specs" / f"{name}.yaml").content_hash() == recorded, name


def test_validate_does_not_import_tensorflow():
    import subprocess
    import sys

    code = ("import sys; from harness.cli import main; "
            "code = main(['validate', 'specs']); "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules; "
            "raise SystemExit(code)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_band_on_validation_needs_validation_data():
    doc = load_spec(SPECS / "good_tiny.yaml").model_dump(mode="json", exclude_unset=True)
    doc["train"]["validation_split"] = 0.0
    doc.pop("ci")
    with pytest.raises(SpecError) as exc:
        parse_spec(doc, "x.yaml")
    assert ("band.metric: 'best_val_acc' reads 'val_acc', which this spec does not record (it "
            "holds out no validation data: set train.validation_split)") in str(exc.value)
    doc["data"]["validation_samples"] = 2  # the first 2 training reviews are the validation set
    assert parse_spec(doc, "x.yaml").band.key == "val_acc"


def test_metric_class_names_keras_accepts():
    doc = load_spec(SPECS / "good_tiny.yaml").model_dump(mode="json", exclude_unset=True)
    doc["train"]["metrics"] = ["AUC", "BinaryAccuracy", "RootMeanSquaredError"]
    doc["band"] = {"metric": "best_val_RootMeanSquaredError", "low": 0.0, "high": 1.0}
    doc.pop("ci")
    spec = parse_spec(doc, "x.yaml")
    assert spec.band.lower_is_better and "val_AUC" in spec.train.recorded_metrics()
