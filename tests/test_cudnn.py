"""harness.cudnn: the Keras 3 rules for the cuDNN kernel, and which kernel a graph holds."""

from __future__ import annotations

import pytest
from support import ROOT, SPECS

from harness.cudnn import cudnn_eligibility, kernel_in_use
from harness.spec import load_spec, parse_spec


def _spec(rnn: dict, mask_zero: bool = False, padding: str = "pre"):
    return parse_spec({
        "name": "t",
        "model": {"input": {"shape": [None]}, "layers": [
            {"type": "Embedding", "input_dim": 50, "output_dim": 4, "mask_zero": mask_zero},
            rnn,
            {"type": "Dense", "units": 1, "activation": "sigmoid"}]},
        "data": {"num_words": 50, "maxlen": 12, "padding": padding},
        "train": {"epochs": 1, "batch_size": 4},
    })


def test_the_book_lstm_is_eligible():
    assert cudnn_eligibility(load_spec(ROOT / "specs" / "imdb_lstm.yaml")) == [
        {"layer": "lstm", "type": "LSTM", "eligible": True, "reasons": []}]


def test_a_simple_rnn_has_nothing_to_check():
    assert cudnn_eligibility(load_spec(ROOT / "specs" / "imdb_simple_rnn.yaml")) == []


@pytest.mark.parametrize("rnn, expected", [
    ({"type": "LSTM", "units": 3}, []),
    ({"type": "GRU", "units": 3}, []),
    ({"type": "LSTM", "units": 3, "dropout": 0.2}, []),  # input dropout is fine
    ({"type": "LSTM", "units": 3, "activation": "relu"},
     ["activation is 'relu', cuDNN needs 'tanh'"]),
    ({"type": "GRU", "units": 3, "recurrent_activation": "hard_sigmoid"},
     ["recurrent_activation is 'hard_sigmoid', cuDNN needs 'sigmoid'"]),
    ({"type": "LSTM", "units": 3, "recurrent_dropout": 0.2},
     ["recurrent_dropout is 0.2, cuDNN needs 0"]),
    ({"type": "LSTM", "units": 3, "use_bias": False}, ["use_bias is False, cuDNN needs True"]),
    ({"type": "GRU", "units": 3, "reset_after": False},
     ["reset_after is False, cuDNN needs True"]),
    ({"type": "GRU", "units": 3, "activation": "relu", "use_bias": False},
     ["activation is 'relu', cuDNN needs 'tanh'", "use_bias is False, cuDNN needs True"]),
    ({"type": "LSTM", "units": 3, "use_cudnn": False}, ["use_cudnn is False"]),
    ({"type": "LSTM", "units": 3, "unroll": True}, ["unroll is True, cuDNN needs False"]),
    # a wrapped layer follows its own rules
    ({"type": "Bidirectional", "layer": {"type": "LSTM", "units": 3}}, []),
    ({"type": "Bidirectional", "merge_mode": "sum",
      "layer": {"type": "GRU", "units": 3, "reset_after": False, "recurrent_dropout": 0.5}},
     ["recurrent_dropout is 0.5, cuDNN needs 0", "reset_after is False, cuDNN needs True"]),
])
def test_rules(rnn, expected):
    (found,) = cudnn_eligibility(_spec(rnn))
    assert found["reasons"] == expected
    assert found["eligible"] == (not expected)


def test_a_mask_needs_right_padding():
    (left,) = cudnn_eligibility(_spec({"type": "LSTM", "units": 3}, mask_zero=True,
                                      padding="pre"))
    assert not left["eligible"]
    assert left["reasons"] == ["masked input (Embedding mask_zero=True) with data.padding 'pre': "
                               "cuDNN needs right-padded (padding: post) sequences"]
    (right,) = cudnn_eligibility(_spec({"type": "LSTM", "units": 3}, mask_zero=True,
                                       padding="post"))
    assert right["eligible"]


def test_kernel_on_the_cpu_is_the_generic_loop():
    from harness.build import build_model

    spec = _spec({"type": "LSTM", "units": 3})
    assert kernel_in_use(build_model(spec), spec, "/CPU:0") == {"lstm": "generic"}


@pytest.mark.gpu
def test_kernel_on_a_gpu_is_cudnn_when_eligible(gpu):
    from harness.build import build_model, compile_model

    eligible = _spec({"type": "LSTM", "units": 3})
    model = build_model(eligible)
    assert kernel_in_use(model, eligible, "/GPU:0") == {"lstm": "cudnn"}
    # cuDNN has no XLA lowering: Keras turns jit_compile=True off for the model
    compile_model(model, eligible, jit_compile=True)
    assert model.jit_compile is False
    broken = _spec({"type": "GRU", "units": 3, "recurrent_dropout": 0.2})
    assert kernel_in_use(build_model(broken), broken, "/GPU:0") == {"gru": "generic"}
    wrapped = _spec({"type": "Bidirectional", "layer": {"type": "GRU", "units": 3}})
    assert kernel_in_use(build_model(wrapped), wrapped, "/GPU:0") == {"bidirectional": "cudnn"}


def test_wrapped_layers_are_listed_by_their_wrapper():
    assert cudnn_eligibility(load_spec(ROOT / "specs" / "imdb_bidirectional_lstm.yaml")) == [
        {"layer": "bidirectional", "type": "Bidirectional(LSTM)", "eligible": True,
         "reasons": []}]
    found = cudnn_eligibility(load_spec(SPECS / "good_wrappers.yaml"))  # masked, padding post
    assert [(f["layer"], f["type"], f["eligible"]) for f in found] == [
        ("bidirectional", "Bidirectional(GRU)", True),
        ("bidirectional_1", "Bidirectional(LSTM)", True)]


def test_the_mask_reaches_a_wrapped_layer_through_sequences_and_time_distributed():
    doc = load_spec(SPECS / "good_wrappers.yaml").model_dump(mode="json", exclude_unset=True)
    doc["data"]["padding"] = "pre"
    found = cudnn_eligibility(parse_spec(doc))
    assert [f["eligible"] for f in found] == [False, False]
    assert all(f["reasons"][0].startswith("masked input") for f in found)


def test_conv1d_pooling_and_flatten_drop_the_mask():
    def layers(*between):
        return parse_spec({"name": "t", "model": {"input": {"shape": [20]}, "layers": [
            {"type": "Embedding", "input_dim": 50, "output_dim": 4, "mask_zero": True},
            *between, {"type": "LSTM", "units": 3}]}})

    assert not cudnn_eligibility(layers({"type": "Dropout", "rate": 0.5}))[0]["eligible"]
    for dropping in ({"type": "Conv1D", "filters": 4, "kernel_size": 3},
                     {"type": "MaxPooling1D"}):
        assert cudnn_eligibility(layers(dropping))[0]["eligible"], dropping


def test_the_catalogs_conv1d_gru_breaks_two_rules():
    (found,) = cudnn_eligibility(load_spec(ROOT / "specs" / "jena_conv1d_gru.yaml"))
    assert found["type"] == "GRU" and found["reasons"] == [
        "recurrent_dropout is 0.5, cuDNN needs 0", "reset_after is False, cuDNN needs True"]


def test_a_factory_model_is_not_checked():
    spec = parse_spec({"name": "f", "model": {"factory": "tiny_models:two_towers",
                                              "expect": {"total_params": 43}}})
    assert cudnn_eligibility(spec) == [{
        "layer": "(factory model)", "type": "-", "eligible": None,
        "reasons": ["not checked: a factory model's (tiny_models:two_towers) layers are not in "
                    "the spec"]}]


def test_kernel_of_a_bidirectional_layer_on_the_cpu():
    from harness.build import build_model

    spec = load_spec(SPECS / "good_wrappers.yaml")
    assert kernel_in_use(build_model(spec), spec, "/CPU:0") == {
        "bidirectional": "generic", "bidirectional_1": "generic"}
