"""harness.cudnn: the Keras 3 rules for the cuDNN kernel, and which kernel a graph holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cudnn import cudnn_eligibility, kernel_in_use
from harness.spec import load_spec, parse_spec

ROOT = Path(__file__).resolve().parent.parent


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
