"""harness.parity: NumPy references agree with the Keras layers within 1e-5; errors are caught."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from support import CATALOG, ROOT, SPECS, TINY

from harness import parity
from harness.build import build_model
from harness.cli import main
from harness.errors import ArchitectureMismatch, UsageError
from harness.spec import load_spec, parse_spec

ATOL = 1e-5
BATCH, TIMESTEPS, FEATURES, UNITS = 3, 7, 5, 4


def _random_weights(layer: keras.Layer, seed: int = 0, scale: float = 0.5) -> list[np.ndarray]:
    # Every weight random, biases included: a fresh layer's zero biases would hide their layout.
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0.0, scale, w.shape).astype(np.float32) for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


def _sequence(seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((BATCH, TIMESTEPS, FEATURES)).astype(
        np.float32)


RECURRENT = [
    (keras.layers.SimpleRNN, {}, parity.simple_rnn, {}),
    (keras.layers.LSTM, {}, parity.lstm, {}),
    (keras.layers.GRU, {"reset_after": True}, parity.gru, {"reset_after": True}),
    (keras.layers.GRU, {"reset_after": False}, parity.gru, {"reset_after": False}),
]


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize(("cls", "kwargs", "reference", "ref_kwargs"), RECURRENT,
                         ids=["SimpleRNN", "LSTM", "GRU-reset_after", "GRU-reset_before"])
def test_recurrent_references_match_keras(cls, kwargs, reference, ref_kwargs, return_sequences):
    layer = cls(UNITS, return_sequences=return_sequences, **kwargs)
    x = _sequence()
    layer.build(x.shape)
    weights = _random_weights(layer)
    theirs = np.asarray(layer(x))
    mine = reference(x, weights, return_sequences=return_sequences, **ref_kwargs)
    expected_shape = (BATCH, TIMESTEPS, UNITS) if return_sequences else (BATCH, UNITS)
    assert mine.shape == theirs.shape == expected_shape
    np.testing.assert_allclose(mine, theirs, rtol=0, atol=ATOL)


@pytest.mark.parametrize(
    ("cls", "kwargs", "reference", "ref_kwargs"),
    [
        (keras.layers.SimpleRNN, {"activation": "relu", "use_bias": False}, parity.simple_rnn,
         {"activation_name": "relu", "use_bias": False}),
        (keras.layers.LSTM, {"recurrent_activation": "hard_sigmoid"}, parity.lstm,
         {"recurrent_activation": "hard_sigmoid"}),
        (keras.layers.GRU, {"activation": "relu", "use_bias": False}, parity.gru,
         {"activation_name": "relu", "use_bias": False}),
    ],
    ids=["SimpleRNN-relu-no-bias", "LSTM-hard_sigmoid", "GRU-relu-no-bias"],
)
def test_other_activations_and_no_bias(cls, kwargs, reference, ref_kwargs):
    layer = cls(UNITS, return_sequences=True, **kwargs)
    x = _sequence()
    layer.build(x.shape)
    weights = _random_weights(layer, scale=0.3)
    np.testing.assert_allclose(reference(x, weights, return_sequences=True, **ref_kwargs),
                               np.asarray(layer(x)), rtol=0, atol=ATOL)


def test_embedding_matches_keras_and_refuses_out_of_range_indices():
    layer = keras.layers.Embedding(50, 6)
    indices = np.random.default_rng(2).integers(0, 50, size=(BATCH, TIMESTEPS)).astype(np.int32)
    layer.build(indices.shape)
    weights = _random_weights(layer)
    mine = parity.embedding(indices, weights)
    assert mine.shape == (BATCH, TIMESTEPS, 6)
    np.testing.assert_allclose(mine, np.asarray(layer(indices)), rtol=0, atol=ATOL)
    with pytest.raises(ValueError, match=r"indices must be in \[0, 50\), got \[-1, "):
        parity.embedding(np.array([[-1, 3]]), weights)


@pytest.mark.parametrize("shape", [(BATCH, FEATURES), (BATCH, TIMESTEPS, FEATURES)])
def test_dense_matches_keras(shape):
    layer = keras.layers.Dense(UNITS, activation="relu")
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    layer.build(shape)
    weights = _random_weights(layer)
    mine = parity.dense(x, weights, "relu")
    assert mine.shape == (*shape[:-1], UNITS)
    np.testing.assert_allclose(mine, np.asarray(layer(x)), rtol=0, atol=ATOL)


# ---------------------------------------------------------------------------------------------
# The check can fail


def _lstm_with_weights():
    layer = keras.layers.LSTM(UNITS)
    x = _sequence()
    layer.build(x.shape)
    return layer, x, _random_weights(layer)


def test_swapped_lstm_gates_are_detected():
    layer, x, weights = _lstm_with_weights()
    theirs = np.asarray(layer(x))
    # i and f blocks exchanged in the kernel, recurrent kernel and bias: the gate order f, i, c, o.
    order = np.r_[UNITS:2 * UNITS, 0:UNITS, 2 * UNITS:4 * UNITS]
    swapped = [weights[0][:, order], weights[1][:, order], weights[2][order]]
    assert np.max(np.abs(parity.lstm(x, swapped) - theirs)) > 100 * ATOL


def test_perturbed_bias_and_swapped_gru_bias_rows_are_detected():
    layer, x, weights = _lstm_with_weights()
    theirs = np.asarray(layer(x))
    perturbed = [weights[0], weights[1], weights[2] + np.float32(1e-3)]
    assert np.max(np.abs(parity.lstm(x, perturbed) - theirs)) > ATOL

    gru = keras.layers.GRU(UNITS, reset_after=True)
    gru.build(x.shape)
    w = _random_weights(gru)
    rows_swapped = [w[0], w[1], w[2][::-1]]
    assert np.max(np.abs(parity.gru(x, rows_swapped) - np.asarray(gru(x)))) > 100 * ATOL


def _rnn_spec(**rnn) -> dict:
    return {
        "name": "parity_probe",
        "model": {
            "input": {"shape": [None], "dtype": "int32"},
            "layers": [
                {"type": "Embedding", "input_dim": 30, "output_dim": 6},
                {"type": "SimpleRNN", "units": UNITS, **rnn},
                {"type": "Dense", "units": 1, "activation": "sigmoid"},
            ],
        },
    }


def test_a_model_that_does_not_compute_its_spec_fails_the_check():
    built = build_model(parse_spec(_rnn_spec(activation="relu"), "relu.yaml"))
    claimed = parse_spec(_rnn_spec(activation="tanh"), "tanh.yaml")
    parity.randomize_biases(built)
    x = np.random.default_rng(4).integers(0, 30, size=(BATCH, 20)).astype(np.int32)
    with pytest.raises(ArchitectureMismatch) as exc:
        parity.check_model_parity(built, claimed, x, inputs="random inputs")
    msg = str(exc.value)
    assert msg.startswith("tanh.yaml: the model differs from the NumPy reference on random inputs")
    assert "simple_rnn (SimpleRNN) differs by" in msg and "embedding" not in msg
    assert "| simple_rnn (SimpleRNN) " in exc.value.table and "DIFFERS" in exc.value.table


def test_weights_in_another_layout_are_an_architecture_mismatch():
    def gru_spec(reset_after: bool) -> dict:
        doc = _rnn_spec()
        doc["model"]["layers"][1] = {"type": "GRU", "units": UNITS, "reset_after": reset_after}
        return doc

    built = build_model(parse_spec(gru_spec(False), "a.yaml"))
    x = np.ones((BATCH, 5), dtype=np.int32)
    with pytest.raises(ArchitectureMismatch,
                       match=r"b\.yaml: model\.layers\[1\] \(GRU\): GRU bias \(reset_after=True\) "
                             r"has shape \(12,\), the layout needs \(2, 12\)"):
        parity.measure_parity(built, parse_spec(gru_spec(True), "b.yaml"), x)


# ---------------------------------------------------------------------------------------------
# Whole models


def test_masked_stack_matches_keras():
    doc = {
        "name": "masked",
        "model": {
            "input": {"shape": [None], "dtype": "int32"},
            "layers": [
                {"type": "Embedding", "input_dim": 30, "output_dim": 6, "mask_zero": True},
                {"type": "GRU", "units": UNITS, "return_sequences": True},
                {"type": "Dropout", "rate": 0.5},
                {"type": "LSTM", "units": UNITS},
                {"type": "Dense", "units": 1, "activation": "sigmoid"},
            ],
        },
    }
    spec = parse_spec(doc, "masked.yaml")
    model = build_model(spec)
    parity.randomize_biases(model)
    x = np.random.default_rng(5).integers(1, 30, size=(BATCH, 12)).astype(np.int32)
    x[0, :5] = 0  # front padding, as the book pads
    x[1, -3:] = 0  # back padding: the last output repeats the last unmasked one
    result = parity.check_model_parity(model, spec, x)
    assert [r.name for r in result.rows] == ["embedding", "gru", "dropout", "lstm", "dense",
                                             "model"]
    assert result.ok and all(r.max_abs_diff <= ATOL for r in result.rows)
    # The references do honour the mask: without it the GRU's output differs.
    gru = model.layers[1]
    unmasked = parity.gru(np.asarray(model.layers[0](x)), gru.get_weights(),
                          return_sequences=True)
    masked = parity.gru(np.asarray(model.layers[0](x)), gru.get_weights(),
                        return_sequences=True, mask=x != 0)
    assert np.max(np.abs(unmasked - masked)) > 100 * ATOL


def test_multi_hot_dense_model():
    doc = {
        "name": "dense_baseline_small",
        "model": {
            "input": {"shape": [50], "dtype": "float32"},
            "layers": [
                {"type": "Dense", "units": 16, "activation": "relu"},
                {"type": "Dense", "units": 16, "activation": "relu"},
                {"type": "Dense", "units": 1, "activation": "sigmoid"},
            ],
        },
        "data": {"num_words": 50, "representation": "multi_hot"},
    }
    spec = parse_spec(doc, "dense.yaml")
    x = parity.random_inputs(spec, batch_size=8, seed=6)
    assert x.shape == (8, 50) and x.dtype == np.float32 and set(np.unique(x)) <= {0.0, 1.0}
    model = build_model(spec)
    parity.randomize_biases(model)
    assert parity.check_model_parity(model, spec, x).ok


def test_reviews_need_a_data_section_unless_the_input_is_word_indices():
    doc = {"name": "dense_only", "model": {"input": {"shape": [50], "dtype": "float32"},
                                           "layers": [{"type": "Dense", "units": 1}]}}
    with pytest.raises(UsageError, match=r"^d\.yaml: no data section, and the model's input is "
                                         r"not word indices; add a data section"):
        parity.review_inputs(parse_spec(doc, "d.yaml"), str(TINY))


@pytest.mark.parametrize(("name", "rnn_type"), [
    ("imdb_simple_rnn", "SimpleRNN"), ("imdb_lstm", "LSTM"),
    ("imdb_gru_reset_before", "GRU"),  # no data section: the book's encoding is used
])
def test_catalog_models_on_real_reviews(real_archive, name, rnn_type):
    spec = load_spec(ROOT / "specs" / f"{name}.yaml")
    x, words = parity.review_inputs(spec, str(real_archive), 4)
    assert words.startswith(f"4 test reviews of {real_archive}")
    assert x.shape == (4, 500) and x.dtype == np.int32
    assert x.max() < spec.model.layers[0].input_dim and (x > 3).sum() > 100  # real words
    model = build_model(spec)
    parity.randomize_biases(model)
    result = parity.check_model_parity(model, spec, x, inputs=words)
    assert [r.type for r in result.rows] == ["Embedding", rnn_type, "Dense", "end to end"]
    assert [r.output_shape for r in result.rows] == [(4, 500, 32), (4, 32), (4, 1), (4, 1)]
    assert all(r.max_abs_diff <= ATOL for r in result.rows)


@pytest.mark.parametrize("name", ["imdb_bidirectional_lstm", "imdb_conv1d"])
def test_wrapper_and_conv1d_catalog_models_on_real_reviews(real_archive, name):
    spec = load_spec(ROOT / "specs" / f"{name}.yaml")
    x, words = parity.review_inputs(spec, str(real_archive), 4)
    assert x.shape == (4, 500) and (x > 3).sum() > 100  # real words
    model = build_model(spec)
    parity.randomize_biases(model)
    result = parity.check_model_parity(model, spec, x, inputs=words)
    assert result.unchecked == [] and all(r.max_abs_diff <= ATOL for r in result.rows)


# ---------------------------------------------------------------------------------------------
# harness verify --parity


def test_verify_parity_on_random_inputs_and_reviews(capsys):
    code = main(["verify", "--parity", "--data", str(TINY), str(SPECS / "good_tiny.yaml")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Numerical parity on random inputs, input shape (4, 100): ok" in out
    assert f"Numerical parity on 4 test reviews of {TINY}, input shape (4, 8): ok" in out
    assert "| simple_rnn (SimpleRNN) | (4, 3)" in out
    assert "| max abs diff " in out and "| tolerance " in out


def test_verify_parity_fails_when_a_reference_disagrees(capsys, monkeypatch):
    # A wrong tanh in the reference stands for a layer that does not compute its equations.
    monkeypatch.setitem(parity.ACTIVATIONS, "tanh", np.sin)
    code = main(["verify", "--parity", str(SPECS / "good_tiny.yaml")])
    captured = capsys.readouterr()
    assert code == 1
    assert "DIFFERS" in captured.out
    assert "parity on random inputs: simple_rnn (SimpleRNN) differs by" in captured.err


def test_verify_data_needs_parity(capsys):
    assert main(["verify", "--data", str(TINY), str(SPECS / "good_tiny.yaml")]) == 2
    assert "add --parity" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Convolution, pooling, Flatten, go_backwards and the wrappers, layer by layer (seeded inputs)


def _inputs(shape, seed: int = 7) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("kwargs", [
    {},
    {"padding": "same"},
    {"padding": "same", "strides": 2},
    {"padding": "valid", "strides": 3, "activation": "relu"},
    {"padding": "causal", "dilation_rate": 2},
    {"dilation_rate": 2, "use_bias": False},
    {"groups": 2, "padding": "same", "activation": "tanh"},
], ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "defaults")
def test_conv1d_matches_keras(kwargs):
    layer = keras.layers.Conv1D(6, 3, **kwargs)
    x = _inputs((BATCH, 11, 4))
    layer.build(x.shape)
    weights = _random_weights(layer)
    theirs = np.asarray(layer(x))
    mine = parity.conv1d(x, weights, kwargs.get("strides", 1), kwargs.get("padding", "valid"),
                         kwargs.get("dilation_rate", 1), kwargs.get("groups", 1),
                         kwargs.get("activation"), kwargs.get("use_bias", True))
    assert mine.shape == theirs.shape
    np.testing.assert_allclose(mine, theirs, rtol=0, atol=ATOL)


@pytest.mark.parametrize("op", ["max", "average"])
@pytest.mark.parametrize(("pool", "strides", "padding"), [
    (2, None, "valid"), (3, None, "valid"), (3, 1, "valid"), (3, 2, "same"), (2, None, "same"),
    (4, 3, "same")])
def test_pooling1d_matches_keras(op, pool, strides, padding):
    cls = keras.layers.MaxPooling1D if op == "max" else keras.layers.AveragePooling1D
    x = _inputs((BATCH, 11, 4))
    theirs = np.asarray(cls(pool, strides, padding)(x))
    mine = parity.pooling1d(x, pool, strides, padding, op)
    assert mine.shape == theirs.shape
    np.testing.assert_allclose(mine, theirs, rtol=0, atol=ATOL)


@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_and_flatten_match_keras(keepdims):
    x = _inputs((BATCH, TIMESTEPS, FEATURES))
    for op, cls in (("max", keras.layers.GlobalMaxPooling1D),
                    ("average", keras.layers.GlobalAveragePooling1D)):
        theirs = np.asarray(cls(keepdims=keepdims)(x))
        mine = parity.global_pooling1d(x, op, keepdims)
        assert mine.shape == theirs.shape == ((BATCH, 1, FEATURES) if keepdims
                                              else (BATCH, FEATURES))
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=ATOL)
    mask = np.ones((BATCH, TIMESTEPS), dtype=bool)
    mask[0, :3] = False  # the average leaves masked steps out
    theirs = np.asarray(keras.layers.GlobalAveragePooling1D(keepdims=keepdims)(x, mask=mask))
    np.testing.assert_allclose(parity.global_pooling1d(x, "average", keepdims, mask), theirs,
                               rtol=0, atol=ATOL)
    assert parity.flatten(x).shape == (BATCH, TIMESTEPS * FEATURES)
    np.testing.assert_allclose(parity.flatten(x), np.asarray(keras.layers.Flatten()(x)),
                               rtol=0, atol=ATOL)


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize(("cls", "kwargs", "reference", "ref_kwargs"), RECURRENT,
                         ids=["SimpleRNN", "LSTM", "GRU-reset_after", "GRU-reset_before"])
def test_go_backwards_matches_keras(cls, kwargs, reference, ref_kwargs, return_sequences):
    layer = cls(UNITS, return_sequences=return_sequences, go_backwards=True, **kwargs)
    x = _sequence()
    layer.build(x.shape)
    weights = _random_weights(layer)
    mask = np.ones((BATCH, TIMESTEPS), dtype=bool)
    mask[0, :2], mask[1, -3:] = False, False
    for m in (None, mask):
        theirs = np.asarray(layer(x, mask=m))
        mine = reference(x, weights, return_sequences=return_sequences, go_backwards=True,
                         mask=m, **ref_kwargs)
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=ATOL)
    # Reading backwards is not reading forwards.
    forwards = reference(x, weights, return_sequences=return_sequences, **ref_kwargs)
    assert np.max(np.abs(forwards - np.asarray(layer(x)))) > 100 * ATOL


BIDIRECTIONAL = [
    (keras.layers.SimpleRNN, {}, parity.simple_rnn, {}),
    (keras.layers.LSTM, {}, parity.lstm, {}),
    (keras.layers.GRU, {"reset_after": False}, parity.gru, {"reset_after": False}),
]


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize(("cls", "kwargs", "reference", "ref_kwargs"), BIDIRECTIONAL,
                         ids=["SimpleRNN", "LSTM", "GRU"])
def test_bidirectional_matches_keras(cls, kwargs, reference, ref_kwargs, return_sequences,
                                     merge_mode):
    layer = keras.layers.Bidirectional(cls(UNITS, return_sequences=return_sequences, **kwargs),
                                       merge_mode=merge_mode)
    x = _sequence()
    layer.build(x.shape)
    weights = _random_weights(layer)

    def forward(inputs, w, **options):
        return reference(inputs, w, return_sequences=return_sequences, **ref_kwargs, **options)

    mask = np.ones((BATCH, TIMESTEPS), dtype=bool)
    mask[0, :2], mask[1, -3:] = False, False  # front and back padding
    for m in (None, mask):
        theirs = np.asarray(layer(x, mask=m))
        mine = parity.bidirectional(x, weights, forward, merge_mode, return_sequences, m)
        units = 2 * UNITS if merge_mode == "concat" else UNITS
        assert mine.shape == theirs.shape == ((BATCH, TIMESTEPS, units) if return_sequences
                                              else (BATCH, units))
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=ATOL)


def test_bidirectional_backward_sequence_is_reversed_back_in_time():
    layer = keras.layers.Bidirectional(keras.layers.GRU(UNITS, return_sequences=True))
    x = _sequence()
    layer.build(x.shape)
    weights = _random_weights(layer)
    theirs = np.asarray(layer(x))
    backward = parity.gru(x, weights[3:], return_sequences=True, go_backwards=True)
    np.testing.assert_allclose(theirs[..., UNITS:], backward[:, ::-1], rtol=0, atol=ATOL)
    assert np.max(np.abs(theirs[..., UNITS:] - backward)) > 100 * ATOL  # not in reading order


def test_time_distributed_dense_matches_keras():
    layer = keras.layers.TimeDistributed(keras.layers.Dense(UNITS, activation="relu"))
    x = _sequence()
    layer.build(x.shape)
    weights = _random_weights(layer)
    mine = parity.time_distributed(x, lambda v: parity.dense(v, weights, "relu"))
    assert mine.shape == (BATCH, TIMESTEPS, UNITS)
    np.testing.assert_allclose(mine, np.asarray(layer(x)), rtol=0, atol=ATOL)


# ---------------------------------------------------------------------------------------------
# Whole models with the new layer types


def test_wrappers_on_masked_words_match_keras():
    spec = load_spec(SPECS / "good_wrappers.yaml")
    model = build_model(spec)
    parity.randomize_biases(model)
    x = np.random.default_rng(8).integers(1, 30, size=(BATCH, 12)).astype(np.int32)
    x[0, :4] = 0  # front padding
    x[1, -5:] = 0  # back padding
    result = parity.check_model_parity(model, spec, x)
    assert [r.type for r in result.rows] == ["Embedding", "Bidirectional", "TimeDistributed",
                                             "Bidirectional", "Dense", "end to end"]
    assert [r.output_shape for r in result.rows] == [
        (BATCH, 12, 6), (BATCH, 12, 8), (BATCH, 12, 3), (BATCH, 5), (BATCH, 1), (BATCH, 1)]
    assert result.ok and result.unchecked == []
    assert result.rows[1].max_abs_diff > 0  # computed, not skipped


def test_timeseries_model_on_float_inputs():
    spec = load_spec(SPECS / "good_timeseries.yaml")
    x = parity.random_inputs(spec, seed=3)
    assert x.shape == (4, 30, 3) and x.dtype == np.float32
    model = build_model(spec)
    parity.randomize_biases(model)
    result = parity.check_model_parity(model, spec, x)
    assert [r.output_shape for r in result.rows] == [(4, 30, 4), (4, 15, 4), (4, 6), (4, 1),
                                                     (4, 1)]


def test_open_length_grows_until_every_layer_fits():
    spec = load_spec(ROOT / "specs" / "jena_conv1d.yaml")  # 3 x Conv1D(5), 2 x MaxPooling1D(3)
    assert parity.random_inputs(spec).shape == (4, 120, 14)
    assert parity.random_inputs(spec, timesteps=50).shape == (4, 50, 14)
    assert parity.random_inputs(load_spec(ROOT / "specs" / "jena_dense.yaml")).shape == (
        4, 240, 14)


@pytest.mark.parametrize("path", CATALOG, ids=[p.stem for p in CATALOG])
def test_every_catalog_model_matches_its_numpy_reference(path):
    spec = load_spec(path)
    model = build_model(spec)
    parity.randomize_biases(model)
    result = parity.check_model_parity(model, spec, parity.random_inputs(spec, seed=0))
    assert result.unchecked == [] and all(r.checked for r in result.rows)


def test_a_layer_without_reference_is_named_not_skipped():
    doc = {"name": "norm", "model": {"input": {"shape": [None, 4], "dtype": "float32"}, "layers": [
        {"type": "Dense", "units": 6},
        {"type": "LayerNormalization"},
        {"type": "Dense", "units": 2, "activation": "gelu"},
        {"type": "GRU", "units": 3}]}}
    spec = parse_spec(doc, "norm.yaml")
    model = build_model(spec)
    result = parity.check_model_parity(model, spec, parity.random_inputs(spec))
    assert result.ok  # nothing differs; two layers and the chained pass are not checked
    assert [(r.name, r.checked) for r in result.rows] == [
        ("dense", True), ("layer_normalization", False), ("dense_1", False), ("gru", True),
        ("model", False)]
    assert result.unchecked == [
        "layer_normalization (LayerNormalization): no NumPy reference for layer type "
        "LayerNormalization",
        "dense_1 (Dense): activation 'gelu' has no NumPy reference (known: linear, tanh, "
        "sigmoid, relu, hard_sigmoid, softmax)",
        "model (end to end): the chained NumPy pass needs every layer; layer_normalization "
        "(LayerNormalization) has none",
    ]
    table = result.table()
    assert "| layer_normalization (LayerNormalization) | (4, 30, 6)     | -" in table
    assert "| no reference |" in table
    assert "not checked, no NumPy reference: layer_normalization (LayerNormalization)" in table


def test_a_factory_model_has_no_references():
    doc = {"name": "f", "model": {"factory": "tiny_models:two_towers",
                                  "expect": {"total_params": 43}}}
    spec = parse_spec(doc, str(ROOT / "tests" / "data" / "factories" / "f.yaml"))
    with pytest.raises(UsageError, match=r"f\.yaml: a factory model \(tiny_models:two_towers\) "
                                         r"has no layer list in the spec"):
        parity.random_inputs(spec)


def test_reviews_are_read_for_imdb_specs_only():
    spec = load_spec(SPECS / "good_timeseries.yaml")
    x, words = parity.review_inputs(spec, str(TINY), 4)
    assert x.shape == (4, 30, 3)
    assert words == (f"random inputs (seed 1), not reviews: --data {TINY} is read for "
                     "'dataset: imdb' specs only, this one's is 'jena_climate'")
    assert not np.array_equal(x, parity.random_inputs(spec))


def test_verify_parity_with_data_on_a_timeseries_spec(capsys):
    code = main(["verify", "--parity", "--no-summary", "--data", str(TINY),
                 str(SPECS / "good_timeseries.yaml")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Numerical parity on random inputs, input shape (4, 30, 3): ok" in out
    assert "Numerical parity on random inputs (seed 1), not reviews: --data" in out
    assert "| bidirectional (Bidirectional) | (4, 6) " in out


@pytest.mark.gpu
@pytest.mark.parametrize("path", CATALOG, ids=[p.stem for p in CATALOG])
def test_every_catalog_model_matches_its_numpy_reference_on_the_gpu(gpu, path):
    import tensorflow as tf

    # TensorFloat-32 matrix products keep 10 bits of mantissa (differences near 1e-3): the
    # check is of the float32 kernels (cuDNN's LSTM/GRU included), so it is off for the test.
    tf32 = tf.config.experimental.tensor_float_32_execution_enabled()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    try:
        with tf.device(gpu.tf_device):
            spec = load_spec(path)
            model = build_model(spec)
            parity.randomize_biases(model)
            result = parity.check_model_parity(model, spec, parity.random_inputs(spec, seed=0))
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(tf32)
    assert result.unchecked == [] and all(r.checked for r in result.rows)
