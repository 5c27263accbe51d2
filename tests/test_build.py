"""harness.build: Keras's complaints and broken factories are one line naming the spec."""

from __future__ import annotations

import pytest
from support import FACTORIES, SPECS

from harness.build import build_model
from harness.errors import SpecError
from harness.spec import load_spec, parse_spec


def _factory_spec(target: str, **args) -> dict:
    return {"name": "f", "model": {"factory": target, "factory_args": args,
                                   "expect": {"total_params": 55}}}


def test_keras_refuses_a_value_in_one_line():
    spec = load_spec(SPECS / "bad_units.yaml")  # units: -3 passes the schema; Keras judges it
    with pytest.raises(SpecError) as exc:
        build_model(spec)
    text = str(exc.value)
    assert text.startswith(f"{spec.path}: model.layers[1] (SimpleRNN): Keras refused it: ")
    assert "units" in text and "\n" not in text


@pytest.mark.parametrize(("layer", "reason"), [
    ({"type": "Conv1D", "filters": 3, "kernel_size": -2}, "The `kernel_size` argument must be a "
     "tuple of 1 integers. Received kernel_size=-2"),
    ({"type": "Dense", "units": "sixteen"}, "units"),
    ({"type": "Dropout", "rate": 2.0}, "rate"),
])
def test_keras_says_why_it_refused(layer, reason):
    # Keras wraps a layer's own error in a generic "could not be deserialized": keep the reason.
    doc = {"name": "k", "model": {"input": {"shape": [8, 4], "dtype": "float32"},
                                  "layers": [layer]}}
    with pytest.raises(SpecError) as exc:
        build_model(parse_spec(doc, "k.yaml"))
    text = str(exc.value)
    assert reason in text and "could not be deserialized" not in text, text


def test_keras_refuses_a_wrapped_layers_value():
    doc = {"name": "w", "model": {"input": {"shape": [None, 4], "dtype": "float32"}, "layers": [
        {"type": "Bidirectional", "layer": {"type": "LSTM", "units": 2, "activation": 7}}]}}
    with pytest.raises(SpecError, match=r"w.yaml: model.layers\[0\] \(Bidirectional\(LSTM\)\): "
                                        r"Keras refused it"):
        build_model(parse_spec(doc, "w.yaml"))


def test_wrappers_frozen_layers_and_any_keras_layer_build():
    doc = {"name": "w", "model": {"input": {"shape": [6], "dtype": "int32"}, "layers": [
        {"type": "Embedding", "input_dim": 10, "output_dim": 4, "trainable": False},
        {"type": "Conv1D", "filters": 3, "kernel_size": 2},
        {"type": "LayerNormalization"},
        {"type": "TimeDistributed", "layer": {"type": "Dense", "units": 2}},
        {"type": "Bidirectional", "layer": {"type": "GRU", "units": 2, "reset_after": False}},
    ]}}
    model = build_model(parse_spec(doc, "w.yaml"))
    assert [type(layer).__name__ for layer in model.layers] == [
        "Embedding", "Conv1D", "LayerNormalization", "TimeDistributed", "Bidirectional"]
    assert model.layers[0].trainable is False
    assert tuple(model.layers[-1].output.shape) == (None, 4)
    assert model.layers[4].forward_layer.reset_after is False


def test_factory_builds_a_functional_model(monkeypatch):
    monkeypatch.chdir(FACTORIES)
    model = build_model(parse_spec(_factory_spec("tiny_models:two_towers", units=3), "f.yaml"))
    assert model.name == "two_towers" and model.count_params() == 5 * 3 * 2 + 6 + 7


@pytest.mark.parametrize(("target", "message"), [
    ("no_such_module:build", "model.factory 'no_such_module:build': cannot import module "
     "'no_such_module' (ModuleNotFoundError: No module named 'no_such_module')"),
    ("tiny_models:nope", "model.factory 'tiny_models:nope': module 'tiny_models' has no "
     "function 'nope'"),
    ("tiny_models:not_a_model", "model.factory 'tiny_models:not_a_model': returned a dict, not "
     "a Keras model (keras.Model)"),
    ("tiny_models:raises", "model.factory 'tiny_models:raises': calling it with factory_args {} "
     "failed (RuntimeError: no GPU here)"),
])
def test_broken_factories_are_one_line(monkeypatch, target, message):
    monkeypatch.chdir(FACTORIES)
    with pytest.raises(SpecError) as exc:
        build_model(parse_spec(_factory_spec(target), "f.yaml"))
    assert str(exc.value) == f"f.yaml: {message}"
