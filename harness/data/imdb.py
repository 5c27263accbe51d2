"""IMDB reviews as model input, in the conventions of ``keras.datasets.imdb.load_data``.

Two sources, tried in this order:

1. a Stanford-layout archive (``aclImdb_v1.tar.gz``) or its unpacked folder, given by ``--data``
   or the ``HARNESS_IMDB_DATA`` environment variable; the raw reviews are encoded here;
2. otherwise ``keras.datasets.imdb.load_data`` itself, which downloads ``imdb.npz`` (online only).

The encoding (:mod:`harness.data.reviews`) follows ``keras.datasets.imdb``: words ranked by their
frequency in the training reviews (rank 1 = most frequent), word of rank r -> index r + 3
(``index_from=3``), 1 = start of sequence, 2 = out of vocabulary (every index >= ``num_words``),
0 = padding; train and test each shuffled with ``numpy.random.RandomState(113)`` as Keras does.
Labels: 1 = positive, 0 = negative.
An empty review encodes as ``[1]`` (start only) and is padded like any short one; a review of any
length (100,000 words: about 0.1 s) is encoded whole and cut to ``maxlen`` by ``truncating``.

Options of the spec's ``data`` section beyond Keras's: ``reverse`` (every encoded review reversed,
``x[::-1]``, before padding: notebook 6.3), ``validation_samples: N`` (the FIRST N training
reviews are the validation set, the rest the training set: notebook 3.5's ``x_val =
x_train[:10000]``) and ``train_samples: N`` (at most N training reviews after that hold-out).

The data carries its word index (``data.word_index``: word -> index in the encoding above,
rank r -> r + 3, every word of the training reviews whatever ``num_words``) and turns a row back
into words (``data.decode(row)``, :meth:`harness.data.Dataset.decode`), as the Keras docs do
with ``imdb.get_word_index()``.

Encoding 50,000 reviews takes seconds; the encoded reviews (before the ``num_words`` cut and
padding, which are cheap) and the ranked words are cached under ``HARNESS_CACHE_DIR`` (default:
the user's cache folder, :mod:`harness.data.cache`) in a file keyed by the archive's sha256 and
the encoder's options, so a changed archive is never served stale. The cache lives outside the
project: it is made from the reviews' text and must not be committed.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import DataError, MissingDataFile, first_line
from . import reviews
from .cache import CACHE_ENV, cache_path, read_cache, write_cache
from .dataset import Dataset
from .reviews import (
    INDEX_FROM,
    OOV_CHAR,
    SHUFFLE_SEED,
    START_CHAR,
    EncodedReviews,
    Review,
    encode_reviews,
    read_reviews,
    tokenize,
    word_index_of,
)

DATA_ENV = "HARNESS_IMDB_DATA"
__all__ = ["CACHE_ENV", "DATA_ENV", "INDEX_FROM", "OOV_CHAR", "SHUFFLE_SEED", "START_CHAR",
           "EncodedReviews", "ImdbData", "Review", "cut_vocabulary", "encode_reviews", "load",
           "load_imdb", "load_imdb_test_head", "read_reviews", "tokenize", "word_index_of"]

# Bump when the tokenizer, the encoding or what is cached changes: old cache files then miss
# instead of serving differently encoded data (2: the ranked words are cached too).
ENCODER_VERSION = 2

REMEDIES = (
    "pass --data PATH (or set HARNESS_IMDB_DATA) to the Stanford reviews archive "
    "aclImdb_v1.tar.gz or its unpacked folder, or go online so keras.datasets.imdb can download "
    "imdb.npz"
)


# The arrays of ``load_imdb``: a :class:`Dataset` (the name other modules and tests import).
ImdbData = Dataset


# ---------------------------------------------------------------------------------------------
# Public entry point


def load(spec, path=None, *, cache_dir=None, batch_size=None) -> Dataset:
    """The registry's entry (:func:`harness.data.load_data`) for ``dataset: imdb``."""
    return load_imdb(spec.data, path, cache_dir)


def load_imdb(
    data_spec,
    path: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
) -> Dataset:
    """Load IMDB for a spec's ``data`` section.

    Args:
        data_spec: a :class:`harness.spec.ImdbDataSpec` (num_words, maxlen, padding, truncating,
            representation, reverse, validation_samples, train_samples).
        path: the Stanford archive or folder; defaults to ``$HARNESS_IMDB_DATA``; when neither is
            given, ``keras.datasets.imdb.load_data`` is used.
        cache_dir: where encoded reviews are cached; defaults to ``$HARNESS_CACHE_DIR``, else
            the user's cache folder (:func:`harness.data.cache.cache_root`).

    Returns:
        :class:`Dataset` with x of shape (25000, maxlen) (or (25000, num_words) for multi_hot);
        with ``validation_samples: N``, x_val is the first N of them and x_train the rest.

    Raises:
        DataError: the path is missing, not in the Stanford layout, corrupt, or holds a review that
            is not UTF-8; or no path is given and Keras cannot download its copy. The message
            names the path and both remedies. More validation_samples than training reviews.
    """
    path = path if path is not None else os.environ.get(DATA_ENV) or None
    if path is not None:
        train, test, source, checksum, words = _encoded_from_stanford(Path(path), cache_dir)
        word_index: dict[str, int] | None = word_index_of(words)
    else:
        train, test = _encoded_from_keras()
        source, checksum = "keras.datasets.imdb", None
        word_index = _keras_word_index()
    return _to_arrays(train, test, data_spec, source, checksum, word_index)


def load_imdb_test_head(
    data_spec,
    path: str | os.PathLike,
    n: int,
    cache_dir: str | os.PathLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The first n test reviews as model input, like ``load_imdb(...).x_test[:n]``.

    Only those n reviews are cut and padded (or made multi-hot), so a quick check does not build
    the 2 GB multi-hot arrays of all 50,000 reviews.

    Returns:
        x of shape (n, maxlen) int32 (or (n, num_words) float32 multi-hot), y (n,) float32.

    Raises:
        DataError: as :func:`load_imdb` for a Stanford archive or folder.
    """
    _, test, _, _, _ = _encoded_from_stanford(Path(path), cache_dir)
    head = test.head(n)
    return _input_array(head, data_spec), head.labels.astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Stanford archive or folder -> encoded reviews


def _encoded_from_stanford(
    path: Path, cache_dir: str | os.PathLike | None
) -> tuple[EncodedReviews, EncodedReviews, str, str, list[str]]:
    """Train and test reviews encoded, the source, the checksum and the ranked words (rank 1
    first)."""
    if not path.exists():
        raise MissingDataFile(f"{path}: no such file or directory; {REMEDIES}")
    kind = "folder" if path.is_dir() else "archive"
    checksum = reviews.fingerprint(path)
    cache_file = _cache_path(cache_dir, checksum)
    cached = _read_cache(cache_file, checksum)
    if cached is not None:
        return (cached[0], cached[1], f"{kind}:{path}", checksum, cached[2])
    # looked up on the module: a test replaces it to show that the cache is read instead
    train, test, words = reviews.encode_ranked(reviews.read_reviews(path))
    _write_cache(cache_file, checksum, train, test, words)
    return train, test, f"{kind}:{path}", checksum, words


# ---------------------------------------------------------------------------------------------
# Cache


def _cache_options() -> dict[str, int]:
    return {
        "encoder_version": ENCODER_VERSION,
        "start_char": START_CHAR,
        "oov_char": OOV_CHAR,
        "index_from": INDEX_FROM,
        "seed": SHUFFLE_SEED,
    }


def _cache_meta(checksum: str) -> dict[str, int | str]:
    return {"archive": checksum, **_cache_options()}


def _cache_path(cache_dir: str | os.PathLike | None, checksum: str) -> Path:
    return cache_path(cache_dir, "imdb", _cache_meta(checksum))


def _read_cache(path: Path, checksum: str
                ) -> tuple[EncodedReviews, EncodedReviews, list[str]] | None:
    """The cached reviews and ranked words, or None when missing, corrupt, or made from
    another archive."""
    z = read_cache(path, _cache_meta(checksum))
    if z is None:
        return None
    try:
        parts = [EncodedReviews(z[f"{s}_flat"], z[f"{s}_offsets"], z[f"{s}_labels"])
                 for s in ("train", "test")]
        text = str(z["words"])
    except KeyError:
        return None
    for p in parts:
        if p.offsets[-1] != len(p.flat) or len(p.offsets) != len(p.labels) + 1:
            return None
    return parts[0], parts[1], text.split("\n") if text else []


def _write_cache(path: Path, checksum: str, train: EncodedReviews, test: EncodedReviews,
                 words: list[str]) -> None:
    # No word holds "\n" (words are [a-z0-9'] runs), so the ranked words join into one string.
    arrays = {"words": np.array("\n".join(words))}
    for name, part in (("train", train), ("test", test)):
        arrays.update(
            {f"{name}_flat": part.flat, f"{name}_offsets": part.offsets,
             f"{name}_labels": part.labels}
        )
    write_cache(path, _cache_meta(checksum), arrays)


# ---------------------------------------------------------------------------------------------
# keras.datasets.imdb (online)


def _encoded_from_keras() -> tuple[EncodedReviews, EncodedReviews]:
    import keras

    try:
        (xtr, ytr), (xte, yte) = keras.datasets.imdb.load_data()
    except Exception as exc:  # noqa: BLE001 - no network shows up as many exception types
        raise DataError(
            f"no IMDB data: keras.datasets.imdb could not download imdb.npz "
            f"({type(exc).__name__}: {first_line(exc, default='')}); {REMEDIES}"
        ) from None
    return _from_lists(xtr, ytr), _from_lists(xte, yte)


def _keras_word_index() -> dict[str, int] | None:
    """``keras.datasets.imdb.get_word_index()`` in the encoding's convention (rank + 3); None
    when it cannot be downloaded (the arrays still load; ``decode`` then says why it cannot)."""
    import keras

    try:
        ranks = keras.datasets.imdb.get_word_index()
    except Exception:  # noqa: BLE001 - no network shows up as many exception types
        return None
    return {word: int(rank) + INDEX_FROM for word, rank in ranks.items()}


def _from_lists(xs, ys) -> EncodedReviews:
    lengths = np.fromiter((len(x) for x in xs), dtype=np.int64, count=len(xs))
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    flat = np.concatenate([np.asarray(x, dtype=np.int32) for x in xs])
    return EncodedReviews(flat, offsets, np.asarray(ys, dtype=np.int8))


# ---------------------------------------------------------------------------------------------
# Encoded reviews -> model input


def _to_arrays(
    train: EncodedReviews, test: EncodedReviews, data_spec, source: str, checksum: str | None,
    word_index: dict[str, int] | None = None,
) -> Dataset:
    x_train, x_test = (_input_array(part, data_spec) for part in (train, test))
    y_train, y_test = (part.labels.astype(np.float32) for part in (train, test))
    reverse = getattr(data_spec, "reverse", False)
    hold_out = getattr(data_spec, "validation_samples", None)
    cap = getattr(data_spec, "train_samples", None)
    info = {
        "num_words": data_spec.num_words,
        "maxlen": data_spec.maxlen,
        "padding": data_spec.padding,
        "truncating": data_spec.truncating,
        "representation": data_spec.representation,
        "reverse": reverse,
        "index_conventions": {"padding": 0, "start": START_CHAR, "oov": OOV_CHAR,
                              "index_from": INDEX_FROM},
    }
    x_val = y_val = None
    if hold_out is not None:
        if hold_out >= len(x_train):
            raise DataError(f"{source}: data.validation_samples {hold_out} leaves no training "
                            f"reviews of the {len(x_train):,} there are; hold out fewer")
        # Notebook 3.5: x_val = x_train[:10000], partial_x_train = x_train[10000:].
        x_val, y_val = x_train[:hold_out], y_train[:hold_out]
        x_train, y_train = x_train[hold_out:], y_train[hold_out:]
        info["validation_samples"] = hold_out
    if cap is not None:
        x_train, y_train = x_train[:cap], y_train[:cap]
        info["train_samples_cap"] = cap
    return Dataset(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
                   source=source, checksum=checksum, info=info, x_val=x_val, y_val=y_val,
                   word_index=word_index, dataset="imdb", unit="reviews")


def cut_vocabulary(flat: np.ndarray, num_words: int) -> np.ndarray:
    """Replace every index >= num_words by OOV_CHAR, as ``load_data(num_words=...)`` does."""
    return np.where(flat >= num_words, OOV_CHAR, flat).astype(np.int32)


def _input_array(part: EncodedReviews, data_spec) -> np.ndarray:
    flat = cut_vocabulary(part.flat, data_spec.num_words)
    if data_spec.representation == "multi_hot":
        # Chapter 3's vectorize_sequences: x[i, w] = 1 for every word w of review i.
        x = np.zeros((len(part), data_spec.num_words), dtype=np.float32)
        rows = np.repeat(np.arange(len(part)), np.diff(part.offsets))
        x[rows, flat] = 1.0
        return x
    from keras.utils import pad_sequences

    seqs = EncodedReviews(flat, part.offsets, part.labels).sequences()
    if getattr(data_spec, "reverse", False):
        seqs = [s[::-1] for s in seqs]  # notebook 6.3: x[::-1], before padding
    return pad_sequences(
        seqs,
        maxlen=data_spec.maxlen,
        dtype="int32",
        padding=data_spec.padding,
        truncating=data_spec.truncating,
        value=0,
    )
