"""Data sources: a spec's ``data`` section -> a :class:`Dataset` ready for ``model.fit``.

One module per source, chosen by ``data.dataset`` (:data:`SOURCES`):

- ``imdb`` (:mod:`.imdb`): the IMDB reviews in ``keras.datasets.imdb`` conventions, from the
  Stanford archive or folder (``--data``, ``$HARNESS_IMDB_DATA``) or Keras's download; optional
  ``reverse``, ``validation_samples`` (first N held out), ``train_samples``;
- ``imdb_text`` (:mod:`.text`): the raw reviews tokenized as notebook 6.1 does (Keras 2's
  ``Tokenizer``), with the word index for pretrained vectors (:mod:`.glove`);
- ``jena_climate`` (:mod:`.timeseries`): the Jena climate CSV as notebook 6.3's window generator
  (``--data``, ``$HARNESS_JENA_DATA``, ``$HARNESS_DATA_DIR``, the working directory);
- ``arrays`` (:mod:`.arrays`): a user's ``.npz``.

Both IMDB sources read the Stanford reviews with :mod:`.reviews`; what a source encodes once is
kept by :mod:`.cache` (``$HARNESS_CACHE_DIR``, else the user's cache folder).

A text source's data carries its word index and decodes a row back into words::

    data = load_data(load_spec("specs/imdb_lstm.yaml"), "aclImdb_v1.tar.gz")
    data.word_index["movie"]        # rank r -> index r + 3 (0 pad, 1 start, 2 OOV)
    data.decode(data.x_train[0])    # "? ..." the review's words, padding dropped
    data.x_dtype                    # "int32", recorded as results["data"]["x_dtype"]

What the data must satisfy before training is :mod:`harness.contract`'s. Nothing here imports
Keras or TensorFlow until a source pads sequences or makes batches.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from ..errors import DataError
from . import arrays, imdb, text, timeseries
from .dataset import CACHE_ENV, DATA_DIR_ENV, Dataset, locate
from .glove import GLOVE_ENV, apply_pretrained, embedding_matrix, find_glove, pretrained_weights
from .imdb import (
    DATA_ENV,
    EncodedReviews,
    ImdbData,
    cut_vocabulary,
    encode_reviews,
    load_imdb,
    load_imdb_test_head,
    tokenize,
    word_index_of,
)
from .text import Tokenizer, load_imdb_text, text_to_word_sequence
from .timeseries import JENA_ENV, JENA_URL

Loader = Callable[..., Dataset]
# data.dataset -> loader(spec, path, *, cache_dir, batch_size)
SOURCES: dict[str, Loader] = {
    "imdb": imdb.load,
    "imdb_text": text.load,
    "jena_climate": timeseries.load,
    "arrays": arrays.load,
}


def load_data(spec, path: str | os.PathLike | None = None, *,
              cache_dir: str | os.PathLike | None = None,
              batch_size: int | None = None) -> Dataset:
    """The data of a spec, from the source its ``data.dataset`` names.

    Args:
        spec: a :class:`harness.spec.Spec` with a data section.
        path: ``--data``: the file, archive or folder to read instead of the default look-up.
        cache_dir: where encoded reviews are cached (``$HARNESS_CACHE_DIR`` by default).
        batch_size: the batch size training will use, when it overrides ``train.batch_size``
            (a generator source's steps and naive baseline depend on it).

    Raises:
        DataError: the data is missing, unreadable or malformed (one line, naming the file and
            what to do); explicit validation data (validation_samples, an arrays file's x_val,
            a generator's val_rows) together with train.validation_split.
    """
    if spec.data is None:
        raise DataError(f"{spec.path}: has no data section")
    loader = SOURCES[spec.data.dataset]
    data = loader(spec, path, cache_dir=cache_dir, batch_size=batch_size)
    split = spec.train.validation_split if spec.train is not None else 0.0
    if data.validation != "split" and split:
        held = {"generator": "data.val_rows", "arrays": "explicit validation data"}[
            data.validation]
        if data.dataset in ("imdb", "imdb_text"):
            held = "data.validation_samples"
        raise DataError(f"{spec.path}: {held} and train.validation_split {split} both say what "
                        "to validate on; keep one (set validation_split to 0)")
    return data


__all__ = [
    "CACHE_ENV", "DATA_DIR_ENV", "DATA_ENV", "GLOVE_ENV", "JENA_ENV", "JENA_URL", "SOURCES",
    "Dataset", "EncodedReviews", "ImdbData", "Tokenizer", "apply_pretrained", "cut_vocabulary",
    "embedding_matrix", "encode_reviews", "find_glove", "load_data", "load_imdb",
    "load_imdb_test_head", "load_imdb_text", "locate", "pretrained_weights",
    "text_to_word_sequence", "tokenize", "word_index_of",
]
