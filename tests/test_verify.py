"""harness.build + harness.verify: shapes and params per layer, from Keras and closed form."""

from __future__ import annotations

import pytest
from support import CATALOG, FACTORIES, ROOT, SPECS

from harness.build import build_model
from harness.errors import ArchitectureMismatch, SpecError
from harness.spec import load_spec, parse_spec
from harness.verify import (
    architecture_table,
    closed_form_params,
    layer_shapes,
    measure,
    output_shape,
    summary_table,
    verify_model,
)


def test_books_simple_rnn_classifier_matches_its_spec():
    spec = load_spec(ROOT / "specs" / "imdb_simple_rnn.yaml")
    result = verify_model(build_model(spec), spec)
    assert [r.shape for r in result.rows] == [(None, None, 32), (None, 32), (None, 1)]
    assert [r.params for r in result.rows] == [320000, 2080, 33]
    assert result.totals == {"total_params": 322113, "trainable_params": 322113,
                             "non_trainable_params": 0}


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
        # chapter 6 notebooks (Keras 2: GRU reset_after=False)
        "imdb_dense_holdout": 160305,
        "imdb_embedding_flatten": 80161,          # 10000*8 + 160*1+1
        "imdb_text_embedding_scratch": 1320065,   # 10000*100 + 10000*32+32 + 33
        "imdb_text_glove_frozen": 1320065,
        "imdb_lstm_reversed": 1300641,            # 10000*128 + 4*32*(32+128+1) + 33
        "imdb_bidirectional_lstm": 336705,        # 320000 + 2*4*32*(32+32+1) + 65
        "imdb_conv1d": 1315937,                   # 1280000 + 7*128*32+32 + 7*32*32+32 + 33
        "imdb_conv1d_sigmoid": 1315937,           # the same layers, a sigmoid on the Dense
        "jena_dense": 107585,                     # 240*14*32+32 + 33
        "jena_gru": 4545, "jena_gru_dropout": 4545, "jena_gru_reversed": 4545,  # 3*32*47 + 33
        "jena_stacked_gru": 23201,                # 3*32*47 + 3*64*(64+32+1) + 65
        "jena_bidirectional_gru": 9089,           # 2*3*32*47 + 65
        "jena_conv1d": 12609,                     # 5*14*32+32 + 2*(5*32*32+32) + 33
        "jena_conv1d_gru": 13697,                 # 2272 + 5152 + 3*32*(32+32+1) + 33
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


# ---------------------------------------------------------------------------------------------
# One layer at a time, in the style of keras-hub's run_layer_test: the expected output shape and
# params, each from three sides: harness.verify's shape rules and closed form, and Keras.


def _one_layer(layer: dict, input_shape: list, dtype: str = "float32"):
    spec = parse_spec({"name": "one", "model": {"input": {"shape": input_shape, "dtype": dtype},
                                                "layers": [layer]}}, "one.yaml")
    return spec, build_model(spec)


GRU = {"type": "GRU", "units": 32}
LSTM = {"type": "LSTM", "units": 32}


@pytest.mark.parametrize(("layer", "input_shape", "output", "params"), [
    # Embedding, Dense and the recurrent layers
    ({"type": "Embedding", "input_dim": 10000, "output_dim": 8}, [20], (None, 20, 8), 80000),
    ({"type": "Dense", "units": 8}, [None, 5], (None, None, 8), 48),
    ({"type": "Dense", "units": 8, "use_bias": False}, [5], (None, 8), 40),
    ({"type": "SimpleRNN", "units": 4, "return_sequences": True}, [None, 3], (None, None, 4),
     32),
    (LSTM, [None, 14], (None, 32), 6016),                            # 4*32*(32+14+1)
    (GRU, [None, 14], (None, 32), 4608),                             # 3*32*(32+14+2)
    ({**GRU, "reset_after": False}, [None, 14], (None, 32), 4512),   # 3*32*(32+14+1)
    ({**GRU, "use_bias": False}, [None, 14], (None, 32), 4416),      # 3*32*(32+14)
    ({**GRU, "go_backwards": True, "return_sequences": True}, [7, 14], (None, 7, 32), 4608),
    # convolutions: kernel * in_channels/groups * filters + filters
    ({"type": "Conv1D", "filters": 32, "kernel_size": 7}, [500, 128], (None, 494, 32), 28704),
    ({"type": "Conv1D", "filters": 8, "kernel_size": 3, "padding": "same", "strides": 2},
     [11, 6], (None, 6, 8), 152),
    ({"type": "Conv1D", "filters": 8, "kernel_size": 3, "padding": "same", "strides": 2},
     [None, 6], (None, None, 8), 152),
    ({"type": "Conv1D", "filters": 4, "kernel_size": 3, "dilation_rate": 2}, [20, 6],
     (None, 16, 4), 76),
    ({"type": "Conv1D", "filters": 4, "kernel_size": 3, "padding": "causal", "groups": 2,
      "use_bias": False}, [10, 6], (None, 10, 4), 36),
    ({"type": "Conv1D", "filters": 4, "kernel_size": [3], "strides": [3]}, [10, 2],
     (None, 3, 4), 28),
    ({"type": "Conv2D", "filters": 16, "kernel_size": [3, 3]}, [28, 28, 1], (None, 26, 26, 16),
     160),
    ({"type": "Conv2D", "filters": 8, "kernel_size": 3, "strides": 2, "padding": "same",
      "groups": 2}, [9, 9, 4], (None, 5, 5, 8), 152),
    ({"type": "Conv2D", "filters": 8, "kernel_size": [3, 2], "data_format": "channels_first"},
     [4, 9, 9], (None, 8, 7, 8), 200),
    # pooling, Flatten, dropout: no params
    ({"type": "MaxPooling1D", "pool_size": 5}, [494, 32], (None, 98, 32), 0),
    ({"type": "MaxPooling1D", "pool_size": 3, "strides": 2, "padding": "same"}, [10, 4],
     (None, 5, 4), 0),
    ({"type": "MaxPool1D"}, [None, 4], (None, None, 4), 0),
    ({"type": "AveragePooling1D", "pool_size": 3}, [10, 4], (None, 3, 4), 0),
    ({"type": "MaxPooling2D"}, [9, 9, 3], (None, 4, 4, 3), 0),
    ({"type": "AveragePooling2D", "pool_size": [2, 2], "strides": 1}, [5, 5, 2],
     (None, 4, 4, 2), 0),
    ({"type": "GlobalMaxPooling1D"}, [None, 32], (None, 32), 0),
    ({"type": "GlobalAveragePooling1D", "keepdims": True}, [7, 32], (None, 1, 32), 0),
    ({"type": "GlobalMaxPooling2D"}, [5, 5, 3], (None, 3), 0),
    ({"type": "GlobalAveragePooling2D"}, [5, 5, 3], (None, 3), 0),
    ({"type": "Flatten"}, [240, 14], (None, 3360), 0),
    ({"type": "Flatten"}, [None, 14], (None, None), 0),
    ({"type": "Dropout", "rate": 0.5}, [None, 8], (None, None, 8), 0),
    ({"type": "SpatialDropout1D", "rate": 0.5}, [None, 8], (None, None, 8), 0),
    # wrappers: Bidirectional = two copies of its layer; TimeDistributed = its layer
    ({"type": "Bidirectional", "layer": LSTM}, [None, 32], (None, 64), 16640),
    ({"type": "Bidirectional", "merge_mode": "sum", "layer": {**GRU, "return_sequences": True}},
     [None, 14], (None, None, 32), 9216),
    ({"type": "Bidirectional", "merge_mode": "ave", "layer": {**GRU, "reset_after": False}},
     [None, 14], (None, 32), 9024),
    ({"type": "Bidirectional", "merge_mode": "mul", "layer": {"type": "SimpleRNN", "units": 4}},
     [None, 3], (None, 4), 64),
    ({"type": "TimeDistributed", "layer": {"type": "Dense", "units": 8}}, [None, 5],
     (None, None, 8), 48),
    ({"type": "TimeDistributed", "layer": {"type": "Conv1D", "filters": 4, "kernel_size": 3}},
     [6, 10, 2], (None, 6, 8, 4), 28),
], ids=lambda v: v.get("type") if isinstance(v, dict) else None)
def test_layer_shapes_and_params(layer, input_shape, output, params):
    dtype = "int32" if layer["type"] == "Embedding" else "float32"
    spec, model = _one_layer(layer, input_shape, dtype)
    ls = spec.model.layers[0]
    assert output_shape(ls, (None, *input_shape)) == output == tuple(model.layers[0].output.shape)
    assert closed_form_params(ls, (None, *input_shape)) == params == model.layers[0].count_params()


def test_shapes_are_tracked_through_the_layer_list():
    spec = load_spec(ROOT / "specs" / "imdb_conv1d.yaml")
    shapes = layer_shapes(spec.model.layers, spec.model.input.shape)
    assert [out for _, out in shapes] == [(None, 500, 128), (None, 494, 32), (None, 98, 32),
                                          (None, 92, 32), (None, 32), (None, 1)]
    assert [tuple(layer.output.shape) for layer in build_model(spec).layers] == [
        out for _, out in shapes]


@pytest.mark.parametrize("name", ["good_wrappers", "good_frozen_embedding", "good_timeseries"])
def test_small_specs_match_keras_and_the_closed_forms(name):
    spec = load_spec(SPECS / f"{name}.yaml")
    result = verify_model(build_model(spec), spec)
    assert result.unchecked == [] and result.notes == []
    assert result.closed_form_totals == result.totals == {
        key: value for key, value in result.expected_totals.items()}


def test_bidirectional_and_time_distributed_spec():
    spec = load_spec(SPECS / "good_wrappers.yaml")
    result = verify_model(build_model(spec), spec)
    assert [(r.type, r.shape, r.params, r.closed_form_params) for r in result.rows] == [
        ("Embedding", (None, None, 6), 180, 180),
        ("Bidirectional", (None, None, 8), 288, 288),
        ("TimeDistributed", (None, None, 3), 27, 27),
        ("Bidirectional", (None, 5), 360, 360),
        ("Dense", (None, 1), 6, 6),
    ]


def test_frozen_layers_count_as_non_trainable():
    spec = load_spec(SPECS / "good_frozen_embedding.yaml")
    result = verify_model(build_model(spec), spec)
    assert result.totals == {"total_params": 225, "trainable_params": 25,
                             "non_trainable_params": 200}
    assert result.closed_form_totals == result.totals
    assert [(r.trainable_params, r.non_trainable_params, r.closed_form_trainable_params)
            for r in result.rows] == [(0, 200, 0), (0, 0, 0), (25, 0, 25)]

    doc = spec.model_dump(mode="json", exclude_unset=True)
    doc["model"]["layers"][0]["expect"]["trainable_params"] = 200  # as if it trained
    doc["model"]["expect"]["trainable_params"] = 225
    result = measure(build_model(spec), parse_spec(doc, "x.yaml"))
    assert result.problems == [
        "model.layers[0] (Embedding): trainable params differ: expected 200, built 0",
        "model.layers[0] (Embedding): expected trainable params 200 disagree with the "
        "closed-form count 0 (trainable: false layers have none)",
        "model.expect.trainable_params: expected 225, built 25",
        "model.expect.trainable_params: expected 225 disagree with the closed-form count 25 of "
        "the layers' equations",
    ]


def test_the_catalogs_frozen_glove_embedding():
    spec = load_spec(ROOT / "specs" / "imdb_text_glove_frozen.yaml")
    result = verify_model(build_model(spec), spec)
    assert result.totals == result.closed_form_totals == {
        "total_params": 1320065, "trainable_params": 320065, "non_trainable_params": 1000000}


def test_a_layer_type_without_closed_form_is_named():
    doc = {"name": "norm", "model": {"input": {"shape": [None, 4], "dtype": "float32"}, "layers": [
        {"type": "Dense", "units": 6},
        {"type": "LayerNormalization", "expect": {"output_shape": [None, None, 6], "params": 12}},
        {"type": "GRU", "units": 2}]}}
    spec = parse_spec(doc, "norm.yaml")
    result = verify_model(build_model(spec), spec)  # no closed form is not a mismatch
    norm = result.rows[1]
    assert (norm.params, norm.closed_form_params, norm.closed_form_note) == (
        12, None, "no closed form")
    assert result.rows[2].closed_form_params == 3 * 2 * (2 + 6 + 2)  # its input size is tracked
    assert result.unchecked == ["layer_normalization (LayerNormalization)"]
    assert result.closed_form_totals is None
    assert result.as_dict()["unchecked"] == ["layer_normalization (LayerNormalization)"]
    table = architecture_table(result)
    assert "| layer_normalization (LayerNormalization) " in table and "| no closed form " in table
    assert table.endswith("no closed form (params checked against count_params() and the spec "
                          "only): layer_normalization (LayerNormalization)")


def test_a_layer_after_an_unknown_shape_takes_the_declared_shape():
    layers = [{"type": "Reshape", "target_shape": [4, 3]}, {"type": "Dense", "units": 2}]
    doc = {"name": "r", "model": {"input": {"shape": [12], "dtype": "float32"}, "layers": layers}}
    result = measure(build_model(parse_spec(doc)), parse_spec(doc))
    assert [r.closed_form_note for r in result.rows] == [
        "no closed form", "no closed form (input size unknown)"]
    assert result.unchecked == ["reshape (Reshape)", "dense (Dense)"]

    layers[0]["expect"] = {"output_shape": [None, 4, 3], "params": 0}
    result = measure(build_model(parse_spec(doc)), parse_spec(doc))
    assert result.rows[1].closed_form_params == 3 * 2 + 2
    assert result.unchecked == ["reshape (Reshape)"]


def _factory(**expect) -> dict:
    return {"name": "towers", "model": {"factory": "tiny_models:two_towers",
                                        "factory_args": {"units": 3},
                                        "expect": {"total_params": 43, **expect}}}


def test_a_factory_model_is_checked_by_layer_name_without_closed_forms():
    doc = _factory(trainable_params=43, layers={
        "left": {"output_shape": [None, 3], "params": 18},      # 5*3 + 3
        "out": {"output_shape": [None, 1], "params": 7}})       # 6 + 1
    spec = parse_spec(doc, str(FACTORIES / "towers.yaml"))
    result = verify_model(build_model(spec), spec)
    assert [(r.name, r.expected_params, r.params) for r in result.rows] == [
        ("left", 18, 18), ("right", None, 18), ("merged", None, 0), ("out", 7, 7)]
    assert all(r.closed_form_note == "no closed form (factory model)" for r in result.rows)
    assert result.unchecked == ["left (Dense)", "right (Dense)", "merged (Concatenate)",
                                "out (Dense)"]
    assert result.notes[0].startswith("factory model (tiny_models:two_towers): its layers are "
                                      "not in the spec, so there are no closed-form counts")
    assert "factory model (tiny_models:two_towers)" in architecture_table(result)


def test_a_factory_models_expectations_can_fail():
    doc = _factory(layers={"left": {"output_shape": [None, 4], "params": 18},
                           "missing": {"output_shape": [None, 1], "params": 7}})
    spec = parse_spec(doc, str(FACTORIES / "towers.yaml"))
    result = measure(build_model(spec), spec)
    assert result.problems == [
        "model.expect.layers.missing: the model has no layer named 'missing' (its layers: "
        "features, left, right, merged, out)",
        "model.expect.layers.left (Dense): output shape differs: expected (None, 4), built "
        "(None, 3)",
    ]
