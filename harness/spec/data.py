"""The ``data`` section of a spec: one of the data sources, picked by ``dataset``."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field

from .base import Frozen, NonNegativeInt, PositiveInt


class DataExpect(Frozen):
    """Shapes of the full data set (a run on a slice skips this check)."""

    x_train_shape: list[PositiveInt] | None = None
    x_test_shape: list[PositiveInt] | None = None


class ImdbDataSpec(Frozen):
    """The IMDB reviews in the conventions of ``keras.datasets.imdb`` (``dataset: imdb``)."""

    dataset: Literal["imdb"] = "imdb"
    num_words: PositiveInt = Field(description="keep the num_words most frequent words")
    maxlen: PositiveInt | None = Field(default=None, description="timesteps after padding")
    padding: Literal["pre", "post"] = "pre"
    truncating: Literal["pre", "post"] = "pre"
    representation: Literal["sequences", "multi_hot"] = "sequences"
    reverse: bool = Field(default=False, description="reverse every review before padding "
                          "(notebook 6.3, listing 6.36)")
    validation_samples: PositiveInt | None = Field(
        default=None, description="hold out the FIRST N training samples as the validation set "
        "(notebook 3.5); an alternative to train.validation_split")
    train_samples: PositiveInt | None = Field(
        default=None, description="train on at most N samples (after the hold-out)")
    expect: DataExpect | None = None


class ImdbTextDataSpec(Frozen):
    """The raw review text tokenized as notebook 6.1 does (``dataset: imdb_text``): the training
    reviews (neg, then pos) -> a word index of their ``num_words`` most frequent words -> padded
    to ``maxlen`` -> shuffled (``shuffle_seed``) -> the first ``train_samples`` for training and
    the next ``validation_samples`` for validation; the test reviews are encoded with the same
    word index."""

    dataset: Literal["imdb_text"]
    num_words: PositiveInt = 10000
    maxlen: PositiveInt = 100
    padding: Literal["pre", "post"] = "pre"
    truncating: Literal["pre", "post"] = "pre"
    train_samples: PositiveInt = 200
    validation_samples: PositiveInt = 10000
    shuffle_seed: NonNegativeInt = 0
    expect: DataExpect | None = None


class JenaDataSpec(Frozen):
    """A timeseries CSV in the Jena climate layout (``dataset: jena_climate``), windowed as
    notebook 6.3's generator does: samples of ``lookback // step`` timesteps (one row every
    ``step`` rows), target the ``target`` column ``delay`` rows after the window, every column
    but the date normalized by the mean and std of the training rows. Row ranges are inclusive
    ``[first, last]`` (``null`` last: to the end)."""

    dataset: Literal["jena_climate"]
    file: str = "jena_climate_2009_2016.csv"
    lookback: PositiveInt = 1440
    step: PositiveInt = 6
    delay: PositiveInt = 144
    train_rows: tuple[NonNegativeInt, NonNegativeInt] = (0, 200000)
    val_rows: tuple[NonNegativeInt, NonNegativeInt] = (200001, 300000)
    test_rows: tuple[NonNegativeInt, NonNegativeInt | None] = (300001, None)
    target: str = "T (degC)"
    reverse: bool = Field(default=False, description="reverse each window in time "
                          "(notebook 6.3's reverse_order_generator)")
    shuffle: bool = Field(default=True, description="draw training windows at random rows")
    expect: DataExpect | None = None


class ArraysDataSpec(Frozen):
    """A user's ``.npz`` with ``x_train``, ``y_train``, ``x_test``, ``y_test`` (``dataset:
    arrays``): the generic way in. A relative ``file`` is read from the spec's folder."""

    dataset: Literal["arrays"]
    file: Annotated[str, Field(min_length=1)]
    expect: DataExpect | None = None


DATASETS = ("imdb", "imdb_text", "jena_climate", "arrays")
DataSpec = Annotated[
    Union[ImdbDataSpec, ImdbTextDataSpec, JenaDataSpec, ArraysDataSpec],  # noqa: UP007
    Field(discriminator="dataset"),
]
