"""Model factories for tests/test_build.py: a functional graph, and two broken ones."""

import keras


def two_towers(units: int = 3):
    """A functional model a layer list cannot describe: two Dense towers, concatenated."""
    inputs = keras.Input(shape=(5,), name="features")
    left = keras.layers.Dense(units, name="left")(inputs)
    right = keras.layers.Dense(units, activation="relu", name="right")(inputs)
    merged = keras.layers.Concatenate(name="merged")([left, right])
    outputs = keras.layers.Dense(1, activation="sigmoid", name="out")(merged)
    return keras.Model(inputs, outputs, name="two_towers")


def not_a_model():
    return {"layers": 2}


def raises():
    raise RuntimeError("no GPU here")
