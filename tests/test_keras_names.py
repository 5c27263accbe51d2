"""harness.keras_names: the committed table of Keras names matches the installed Keras."""

from __future__ import annotations

from harness.keras_names import NAMES_FILE, generate, keras_names, render


def test_committed_table_matches_the_installed_keras():
    # Fails when Keras is upgraded (or the file is hand-edited): regenerate it with
    # 'python -m harness.keras_names' and review the diff.
    assert NAMES_FILE.read_text(encoding="utf-8") == render(generate())


def test_table_knows_the_catalogs_layers_and_names():
    names = keras_names()
    for layer in ("Embedding", "Conv1D", "MaxPooling1D", "GlobalMaxPooling1D", "Flatten",
                  "Bidirectional", "TimeDistributed", "GRU"):
        assert layer in names.layers
    assert names.layers["Bidirectional"].wraps and not names.layers["GRU"].wraps
    assert names.layers["GRU"].args["reset_after"] is True
    assert names.layers["GRU"].is_default("reset_after", True)
    assert not names.layers["GRU"].is_default("reset_after", False)
    assert names.layers["Dense"].required == ["units"]
    assert {"rmsprop", "mae", "acc"} <= {*names.optimizers, *names.losses, *names.metrics}


def test_every_name_resolves_in_keras():
    import keras

    names = keras_names()
    for name in names.activations:
        assert callable(keras.activations.get(name)), name
    for name in names.optimizers:
        assert isinstance(keras.optimizers.get(name), keras.optimizers.Optimizer), name
    for name in names.losses:
        assert keras.losses.get(name) is not None, name
