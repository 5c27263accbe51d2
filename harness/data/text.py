"""``dataset: imdb_text``: the raw IMDB reviews tokenized as notebook 6.1 does.

The notebook (Deep Learning with Python, 1st ed., 6.1-using-word-embeddings) reads the training
reviews of ``aclImdb/train/neg`` then ``aclImdb/train/pos`` (``os.listdir`` order; sorted file
names here), fits Keras 2's ``keras.preprocessing.text.Tokenizer(num_words=10000)`` on them,
pads to ``maxlen=100``, shuffles, and takes the first 200 reviews for training and the next
10,000 for validation; the test reviews (``test/neg`` then ``test/pos``) are encoded with the
same tokenizer and not shuffled.

Keras 3 has no ``Tokenizer``: :class:`Tokenizer` reimplements its default behaviour. Text is
lower-cased, every character of :data:`FILTERS` becomes a space, and it is split on spaces
(empty strings dropped), so ``<br />`` leaves the word ``br``. ``word_index`` ranks every word of
the training texts by count, most frequent first, ties in first-seen order, from 1;
``texts_to_sequences`` keeps only indices < ``num_words``: rarer words are DROPPED, not replaced
by an out-of-vocabulary index. 0 is padding.

Reads the same Stanford archive or folder as ``dataset: imdb`` (``--data``,
``$HARNESS_IMDB_DATA``); the word indices (all of them, before the ``num_words`` cut) and the word
index are cached beside the imdb cache, keyed by the archive's sha256.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import DataError, MissingDataFile
from . import imdb, reviews
from .cache import cache_path, read_cache, write_cache
from .dataset import Dataset, offsets_of, ragged
from .reviews import Review

FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_TABLE = str.maketrans({c: " " for c in FILTERS})
# Bump when the tokenizer changes: old cache files then miss.
TOKENIZER_VERSION = 1
STANFORD_URL = "https://ai.stanford.edu/~amaas/data/sentiment/"


def text_to_word_sequence(text: str) -> list[str]:
    """Keras 2's ``text_to_word_sequence`` with its defaults (lower, FILTERS, split on " ")."""
    return [w for w in text.lower().translate(_TABLE).split(" ") if w]


class Tokenizer:
    """Keras 2's ``keras.preprocessing.text.Tokenizer(num_words)`` with its default options
    (no ``oov_token``, ``char_level=False``).

    Attributes:
        word_counts: word -> count over the fitted texts, in first-seen order.
        word_index: word -> index, 1 = most frequent; every word seen, whatever ``num_words``.
    """

    def __init__(self, num_words: int | None = None):
        self.num_words = num_words
        self.word_counts: dict[str, int] = {}
        self.word_index: dict[str, int] = {}

    def fit_on_texts(self, texts) -> None:
        counts = self.word_counts
        for text in texts:
            for w in text_to_word_sequence(text):
                counts[w] = counts.get(w, 0) + 1
        # sorted() is stable: words of equal count keep their first-seen order, as in Keras 2.
        ranked = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)
        self.word_index = {w: i for i, (w, _) in enumerate(ranked, start=1)}

    def texts_to_sequences(self, texts) -> list[list[int]]:
        index, limit = self.word_index, self.num_words
        out = []
        for text in texts:
            seq = (index.get(w) for w in text_to_word_sequence(text))
            out.append([i for i in seq if i is not None and (not limit or i < limit)])
        return out


def load(spec, path=None, *, cache_dir=None, batch_size=None) -> Dataset:
    """The registry's entry (:func:`harness.data.load_data`) for ``dataset: imdb_text``."""
    return load_imdb_text(spec.data, path, cache_dir)


def load_imdb_text(data_spec, path: str | os.PathLike | None = None,
                   cache_dir: str | os.PathLike | None = None) -> Dataset:
    """The reviews as notebook 6.1 encodes them.

    Args:
        data_spec: a :class:`harness.spec.ImdbTextDataSpec` (num_words, maxlen, padding,
            truncating, train_samples, validation_samples, shuffle_seed).
        path: the Stanford archive or folder; defaults to ``$HARNESS_IMDB_DATA``.

    Returns:
        A :class:`Dataset`: x_train (train_samples, maxlen) int32, x_val the next
        validation_samples, x_test (25000, maxlen) in file order (neg, then pos); labels 1 pos,
        0 neg (float32); ``word_index`` the tokenizer's.

    Raises:
        DataError: no path, or one :func:`harness.data.imdb.load_imdb` refuses; more
            train_samples + validation_samples than training reviews.
    """
    path = path if path is not None else os.environ.get(imdb.DATA_ENV) or None
    if path is None:
        raise DataError(
            "no IMDB reviews: dataset imdb_text tokenizes the raw text, so it needs the Stanford "
            f"archive aclImdb_v1.tar.gz ({STANFORD_URL}) or its unpacked folder; pass --data PATH "
            f"(or set {imdb.DATA_ENV})")
    train, test, word_index, source, checksum = _encoded(Path(path), cache_dir)
    n = len(train[2])
    want = data_spec.train_samples + data_spec.validation_samples
    if want > n:
        raise DataError(f"{source}: data.train_samples {data_spec.train_samples} + "
                        f"data.validation_samples {data_spec.validation_samples} = {want:,} is "
                        f"more than the {n:,} training reviews; ask for fewer")
    x_all = _padded(*train, data_spec)
    y_all = train[2].astype(np.float32)
    # The notebook: indices = np.arange(n); np.random.shuffle(indices) (unseeded there).
    order = np.arange(n)
    np.random.RandomState(data_spec.shuffle_seed).shuffle(order)
    x_all, y_all = x_all[order], y_all[order]
    a, b = data_spec.train_samples, want
    info = {
        "num_words": data_spec.num_words,
        "maxlen": data_spec.maxlen,
        "padding": data_spec.padding,
        "truncating": data_spec.truncating,
        "representation": "sequences",
        "shuffle_seed": data_spec.shuffle_seed,
        "validation_samples": data_spec.validation_samples,
        "vocabulary": len(word_index),
        "tokenizer": "Keras 2 Tokenizer defaults: lower-case, punctuation filtered, split on "
                     "spaces; words of index >= num_words dropped",
    }
    return Dataset(x_train=x_all[:a], y_train=y_all[:a],
                   x_test=_padded(*test, data_spec), y_test=test[2].astype(np.float32),
                   source=source, checksum=checksum, info=info,
                   x_val=x_all[a:b], y_val=y_all[a:b], word_index=word_index,
                   dataset="imdb_text", unit="reviews")


Encoded = tuple[np.ndarray, np.ndarray, np.ndarray]  # flat indices, offsets, labels


def _padded(flat: np.ndarray, offsets: np.ndarray, labels: np.ndarray, data_spec) -> np.ndarray:
    from keras.utils import pad_sequences

    keep = flat < data_spec.num_words  # Tokenizer(num_words): rarer words are dropped
    kept = np.concatenate([[0], np.cumsum(keep)])[offsets]
    return pad_sequences(ragged(flat[keep], kept), maxlen=data_spec.maxlen, dtype="int32",
                         padding=data_spec.padding, truncating=data_spec.truncating, value=0)


def _encoded(path: Path, cache_dir) -> tuple[Encoded, Encoded, dict[str, int], str, str]:
    """Train and test reviews as word indices (no num_words cut), the word index, the source and
    the archive's checksum; from the cache when it holds them."""
    if not path.exists():
        raise MissingDataFile(f"{path}: no such file or directory; pass --data PATH (or set "
                        f"{imdb.DATA_ENV}) to the Stanford reviews archive aclImdb_v1.tar.gz or "
                        "its unpacked folder")
    kind = "folder" if path.is_dir() else "archive"
    checksum = reviews.fingerprint(path)
    meta = {"archive": checksum, "tokenizer_version": TOKENIZER_VERSION, "filters": FILTERS}
    cache = cache_path(cache_dir, "imdb_text", meta)
    z = read_cache(cache, meta)
    if z is not None:
        try:
            words = str(z["words"]).split("\n") if str(z["words"]) else []
            train = (z["train_flat"], z["train_offsets"], z["train_labels"])
            test = (z["test_flat"], z["test_offsets"], z["test_labels"])
            return train, test, {w: i for i, w in enumerate(words, 1)}, f"{kind}:{path}", checksum
        except KeyError:
            pass
    train_texts, train_labels, test_texts, test_labels = _texts(reviews.read_reviews(path))
    tokenizer = Tokenizer()
    tokenizer.fit_on_texts(train_texts)
    train = (*offsets_of(tokenizer.texts_to_sequences(train_texts)), train_labels)
    test = (*offsets_of(tokenizer.texts_to_sequences(test_texts)), test_labels)
    # No word holds "\n" (a filtered character), so the words join into one string.
    arrays = {"words": np.array("\n".join(tokenizer.word_index)),
              "train_flat": train[0], "train_offsets": train[1], "train_labels": train[2],
              "test_flat": test[0], "test_offsets": test[1], "test_labels": test[2]}
    write_cache(cache, meta, arrays)
    return train, test, tokenizer.word_index, f"{kind}:{path}", checksum


def _texts(read: list[Review]) -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """Train and test texts and labels in the notebook's order: neg then pos, by file name."""
    texts: list[list[str]] = []
    labels: list[np.ndarray] = []
    for split in ("train", "test"):
        part = sorted((r for r in read if r[0] == split), key=lambda r: (r[1], r[4]))
        texts.append([r[3] for r in part])
        labels.append(np.array([r[1] for r in part], dtype=np.int8))
    return texts[0], labels[0], texts[1], labels[1]
