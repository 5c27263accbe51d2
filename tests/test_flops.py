"""harness.flops: FLOPs per sample from the architecture, against hand-computed values."""

from __future__ import annotations

import pytest
from support import ROOT, SPECS

from harness.flops import TRAIN_FACTOR, matmul_flops, model_flops
from harness.spec import load_spec, parse_spec


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


def test_conv1d_pooling_and_global_pooling():
    flops = model_flops(load_spec(ROOT / "specs" / "imdb_conv1d.yaml"))
    # Conv1D(32, 7) on 500 x 128 -> 494 steps; MaxPooling1D(5) -> 98; Conv1D(32, 7) -> 92;
    # GlobalMaxPooling1D over 92 steps; Dense(1) on 32
    assert [x.formula for x in flops.layers] == [
        "0 (look-up)", "2*494*7*128*32", "98*5*32", "2*92*7*32*32", "92*32", "2*32*1"]
    assert [x.forward for x in flops.layers] == [
        0, 2 * 494 * 7 * 128 * 32, 98 * 5 * 32, 2 * 92 * 7 * 32 * 32, 92 * 32, 64]
    assert flops.not_counted == []


def test_timeseries_steps_come_from_the_window():
    # lookback 1440 rows, one every 6: 240 timesteps of 14 features
    flops = model_flops(load_spec(ROOT / "specs" / "jena_gru.yaml"))
    assert flops.layers[0].formula == "3*2*240*32*(14+32)"
    flops = model_flops(load_spec(ROOT / "specs" / "jena_dense.yaml"))
    assert [x.formula for x in flops.layers] == ["0 (reshape)", "2*3360*32", "2*32*1"]


def test_bidirectional_is_twice_its_layer():
    flops = model_flops(load_spec(ROOT / "specs" / "jena_bidirectional_gru.yaml"))
    assert flops.layers[0].type == "Bidirectional(GRU)"
    assert flops.layers[0].formula == "2*(3*2*240*32*(14+32))"
    assert flops.layers[0].forward == 2 * 3 * 2 * 240 * 32 * (14 + 32)


def test_time_distributed_is_its_layer_per_timestep():
    flops = model_flops(load_spec(SPECS / "good_wrappers.yaml"))  # maxlen 12
    assert [x.formula for x in flops.layers] == [
        "0 (look-up)", "2*(3*2*12*4*(6+4))", "12*(2*8*3)", "2*(4*2*12*5*(3+5))", "2*5*1"]
    assert flops.forward == 2 * 3 * 2 * 12 * 4 * 10 + 12 * 2 * 8 * 3 + 2 * 4 * 2 * 12 * 5 * 8 + 10


def test_layers_without_formula_are_named_not_counted():
    spec = _spec([EMBED, {"type": "LayerNormalization"}, {"type": "Reshape",
                                                          "target_shape": [250, 64]},
                  {"type": "GRU", "units": 8}, HEAD])
    flops = model_flops(spec)
    assert [x.counted for x in flops.layers] == [True, False, False, False, False]
    assert flops.not_counted == [
        "layer_normalization (LayerNormalization): no FLOP formula for LayerNormalization",
        "reshape (Reshape): no FLOP formula for Reshape",
        "gru (GRU): input shape not known (a layer before it has no shape rule)",
        "dense (Dense): input shape not known (a layer before it has no shape rule)",
    ]
    assert flops.forward == 0
    assert flops.as_dict()["not_counted"] == flops.not_counted
    assert flops.layers[1].formula == "not counted: no FLOP formula for LayerNormalization"


def test_a_factory_model_is_not_counted():
    spec = parse_spec({"name": "f", "model": {"factory": "tiny_models:two_towers",
                                              "expect": {"total_params": 43}}})
    flops = model_flops(spec)
    assert flops.layers == () and flops.forward == 0
    assert flops.as_dict()["not_counted"] == [
        "factory model (tiny_models:two_towers): its layers are not in the spec, so no FLOPs "
        "are counted"]


def test_a_declared_shape_lets_the_layers_after_an_unknown_one_be_counted():
    reshape = {"type": "Reshape", "target_shape": [250, 64],
               "expect": {"output_shape": [None, 250, 64], "params": 0}}
    flops = model_flops(_spec([EMBED, reshape, {"type": "GRU", "units": 8}, HEAD]))
    assert flops.not_counted == ["reshape (Reshape): no FLOP formula for Reshape"]
    assert flops.layers[2].formula == "3*2*250*8*(64+8)"
