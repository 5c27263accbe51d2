"""harness.build + harness.verify: shapes and params per layer, from Keras and closed form."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.build import build_model
from harness.errors import ArchitectureMismatch, SpecError
from harness.spec import load_spec, parse_spec
from harness.verify import closed_form_params, measure, summary_table, verify_model

ROOT = Path(__file__).resolve().parent.parent
SPECS = Path(__file__).resolve().parent / "data" / "specs"


def test_books_simple_rnn_classifier_matches_its_spec():
    spec = load_spec(ROOT / "specs" / "imdb_simple_rnn.yaml")
    result = verify_model(build_model(spec), spec)
    assert [r.shape for r in result.rows] == [(None, None, 32), (None, 32), (None, 1)]
    assert [r.params for r in result.rows] == [320000, 2080, 33]
    assert result.totals == {"total_params": 322113, "trainable_params": 322113,
                             "non_trainable_params": 0}


CATALOG = sorted((ROOT / "specs").glob("*.yaml"))


@pytest.mark.parametrize("path", CATALOG, ids=[p.stem for p in CATALOG])
def test_every_catalog_model_matches_its_spec(path):
    spec = load_spec(path)
    result = verify_model(build_model(spec), spec)
    assert all(r.closed_form_params == r.params for r in result.rows)
    assert result.totals["total_params"] == spec.model.expect.total_params


def test_catalog_totals_are_the_published_ones():
    totals = {load_spec(p).name: load_spec(p).model.expect.total_params for p in CATALOG}
    assert totals == {
        "notebook_simple_rnn": 322080, "notebook_simple_rnn_sequences": 322080,
        "notebook_stacked_simple_rnn": 328320, "imdb_simple_rnn": 322113, "imdb_lstm": 328353,
        "imdb_dense_baseline": 160305, "imdb_gru": 326369, "imdb_gru_reset_before": 326273,
    }


def test_wrong_expected_params_fail_with_a_table():
    spec = load_spec(SPECS / "bad_params.yaml")
    with pytest.raises(ArchitectureMismatch) as exc:
        verify_model(build_model(spec), spec)
    msg = str(exc.value)
    assert msg.startswith(f"{SPECS / 'bad_params.yaml'}: the built model does not match")
    assert "model.layers[1] (SimpleRNN): params differ: expected 25, built 24" in msg
    assert "expected params 25 disagree with the closed-form count 24" in msg
    assert "model.expect.total_params: expected 109, built 108" in msg
    table = exc.value.table
    assert "| simple_rnn (SimpleRNN)" in table and "| 25 " in table and "| 24 " in table
    assert "embedding" not in table  # only the rows that differ


def test_wrong_expected_shape_is_reported():
    doc = load_spec(SPECS / "good_tiny.yaml").model_dump(mode="json", exclude_unset=True)
    doc["model"]["layers"][0]["expect"]["output_shape"] = [None, None, 5]
    spec = parse_spec(doc, "x.yaml")
    result = measure(build_model(spec), spec)
    assert result.problems == ["model.layers[0] (Embedding): output shape differs: expected "
                               "(None, None, 5), built (None, None, 4)"]


@pytest.mark.parametrize(
    ("layer", "d", "params"),
    [
        ({"type": "Embedding", "input_dim": 10000, "output_dim": 32}, None, 320000),
        ({"type": "SimpleRNN", "units": 32}, 32, 2080),
        ({"type": "LSTM", "units": 32}, 32, 8320),
        ({"type": "GRU", "units": 32, "reset_after": True}, 32, 6336),
        ({"type": "GRU", "units": 32, "reset_after": False}, 32, 6240),
        ({"type": "Dense", "units": 1}, 32, 33),
        ({"type": "Dense", "units": 16}, 10000, 160016),
    ],
)
def test_closed_form_params_match_keras(layer, d, params):
    doc = {
        "name": "one",
        "model": {
            "input": {"shape": [None] if d is None else [None, d],
                      "dtype": "int32" if d is None else "float32"},
            "layers": [layer],
        },
    }
    if layer["type"] == "Dense":
        doc["model"]["input"]["shape"] = [d]
    spec = parse_spec(doc)
    assert closed_form_params(spec.model.layers[0], d) == params
    assert measure(build_model(spec), spec).rows[0].params == params


def test_a_misspelled_activation_is_a_spec_error_before_keras_sees_it():
    doc = load_spec(SPECS / "good_tiny.yaml").model_dump(mode="json", exclude_unset=True)
    doc["model"]["layers"][2]["activation"] = "sigmoidd"
    with pytest.raises(SpecError, match=r"x\.yaml: model\.layers\[2\]\.activation: unknown "
                       r"activation 'sigmoidd'; did you mean 'sigmoid'\?"):
        parse_spec(doc, "x.yaml")


def test_layer_names_do_not_depend_on_earlier_models():
    from harness.build import layer_names

    spec = load_spec(SPECS / "good_tiny.yaml")
    build_model(spec)
    assert [layer.name for layer in build_model(spec).layers] == layer_names(spec) == [
        "embedding", "simple_rnn", "dense"]


def test_summary_table_has_the_notebook_layout():
    spec = load_spec(SPECS / "good_tiny.yaml")
    text = summary_table(build_model(spec))
    assert [c.strip() for c in text.splitlines()[0].split("|")[1:4]] == [
        "Layer (type)", "Output Shape", "Param #"]
    assert "| simple_rnn (SimpleRNN) | (None, 3)" in text
    assert "Total params: 108" in text and "Non-trainable params: 0" in text
