"""harness.flops: FLOPs per sample from the architecture, against hand-computed values."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.flops import TRAIN_FACTOR, matmul_flops, model_flops
from harness.spec import load_spec, parse_spec

ROOT = Path(__file__).resolve().parent.parent


def _spec(layers, input_shape=(None,), maxlen=500, representation="sequences"):
    return parse_spec({
        "name": "t",
        "model": {"input": {"shape": list(input_shape)}, "layers": layers},
        "data": {"num_words": 10000, "maxlen": maxlen, "representation": representation},
        "train": {"epochs": 1, "batch_size": 128},
    })


EMBED = {"type": "Embedding", "input_dim": 10000, "output_dim": 32}
HEAD = {"type": "Dense", "units": 1, "activation": "sigmoid"}


def test_the_book_simple_rnn():
    flops = model_flops(load_spec(ROOT / "specs" / "imdb_simple_rnn.yaml"))
    # SimpleRNN: 2 * T * u * (d + u) = 2 * 500 * 32 * 64; Dense(1) on 32 inputs: 2 * 32 * 1
    assert [x.forward for x in flops.layers] == [0, 2_048_000, 64]
    assert [x.formula for x in flops.layers] == ["0 (look-up)", "2*500*32*(32+32)", "2*32*1"]
    assert flops.forward == 2_048_064
    assert flops.train == 3 * 2_048_064 == 6_144_192


def test_the_book_lstm_is_four_times_the_simple_rnn():
    flops = model_flops(load_spec(ROOT / "specs" / "imdb_lstm.yaml"))
    assert [x.forward for x in flops.layers] == [0, 8_192_000, 64]
    assert flops.layers[1].formula == "4*2*500*32*(32+32)"


def test_gru_is_three_times():
    flops = model_flops(_spec([EMBED, {"type": "GRU", "units": 32}, HEAD]))
    assert flops.forward == 3 * 2_048_000 + 64 == 6_144_064


def test_the_chapter_3_dense_baseline_on_multi_hot_input():
    spec = _spec([{"type": "Dense", "units": 16, "activation": "relu"},
                  {"type": "Dense", "units": 16, "activation": "relu"}, HEAD],
                 input_shape=(10000,), maxlen=None, representation="multi_hot")
    flops = model_flops(spec)
    # 2*10000*16 + 2*16*16 + 2*16*1
    assert [x.forward for x in flops.layers] == [320_000, 512, 32]
    assert flops.forward == 320_544


def test_stacked_and_sequence_outputs():
    seq = {"type": "SimpleRNN", "units": 32, "return_sequences": True}
    flops = model_flops(_spec([EMBED, seq, seq, {"type": "Dropout", "rate": 0.5},
                               {"type": "Dense", "units": 8},
                               {"type": "LSTM", "units": 16}, HEAD]))
    # two SimpleRNNs on 32 features; a Dense(8) on each of the 500 steps; an LSTM(16) on 8
    # features; Dense(1) on 16
    assert [x.forward for x in flops.layers] == [
        0, 2_048_000, 2_048_000, 0, 500 * 2 * 32 * 8, 4 * 2 * 500 * 16 * (8 + 16), 2 * 16]
    assert flops.layers[4].formula == "500*2*32*8"


def test_a_fixed_length_input_counts_its_own_timesteps():
    flops = model_flops(_spec([EMBED, {"type": "SimpleRNN", "units": 32}, HEAD],
                              input_shape=(100,), maxlen=500))
    assert flops.layers[1].forward == 2 * 100 * 32 * 64


def test_open_timesteps_without_maxlen_is_an_error():
    with pytest.raises(ValueError, match="no data.maxlen"):
        model_flops(_spec([EMBED, {"type": "SimpleRNN", "units": 32}, HEAD], maxlen=None))


def test_epoch_flops_count_validation_forward_only():
    flops = model_flops(load_spec(ROOT / "specs" / "imdb_simple_rnn.yaml"))
    assert TRAIN_FACTOR == 3
    assert flops.epoch_flops(20000, 5000) == 20000 * 6_144_192 + 5000 * 2_048_064
    assert flops.as_dict()["layers"][1] == {"name": "simple_rnn", "type": "SimpleRNN",
                                            "formula": "2*500*32*(32+32)",
                                            "forward_per_sample": 2_048_000}


def test_matmul_flops():
    assert matmul_flops(2) == 16  # 4 dot products of length 2: 2 multiplies + 2 adds each
    assert matmul_flops(2048) == 17_179_869_184
