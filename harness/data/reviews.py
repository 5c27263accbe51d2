"""The Stanford IMDB reviews (``aclImdb_v1.tar.gz`` or its unpacked folder): read, tokenized
and encoded in the conventions of ``keras.datasets.imdb.load_data``.

Words are ranked by their frequency in the training reviews (rank 1 = most frequent, ties
alphabetically), word of rank r -> index r + 3 (``index_from=3``), 1 = start of sequence,
2 = out of vocabulary, 0 = padding; train and test each shuffled with
``numpy.random.RandomState(113)`` as Keras does. Labels: 1 = positive, 0 = negative. Both
``dataset: imdb`` (:mod:`harness.data.imdb`) and ``dataset: imdb_text``
(:mod:`harness.data.text`) read the reviews here.
"""

from __future__ import annotations

import collections
import hashlib
import re
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError, first_line
from .dataset import offsets_of, sha256_file

START_CHAR = 1
OOV_CHAR = 2
INDEX_FROM = 3
SHUFFLE_SEED = 113  # keras.datasets.imdb.load_data(seed=113)

MEMBER = re.compile(r"(?:^|/)(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")  # a review's file
TAG = re.compile(r"<[^>]*>")
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")

Review = tuple[str, int, int, str, str]  # (split, label, id, text, file name)


@dataclass(frozen=True)
class EncodedReviews:
    """Reviews of one split as word indices, before the num_words cut and padding.

    Attributes:
        flat: all reviews' indices concatenated, start index included, shape (total_tokens,).
        offsets: where review i starts in ``flat``, shape (n_reviews + 1,).
        labels: 1 = positive, 0 = negative, shape (n_reviews,).
    """

    flat: np.ndarray
    offsets: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def sequences(self) -> list[np.ndarray]:
        """One int array per review."""
        return np.split(self.flat, self.offsets[1:-1])

    def head(self, n: int) -> EncodedReviews:
        n = min(n, len(self))
        return EncodedReviews(self.flat[: self.offsets[n]], self.offsets[: n + 1], self.labels[:n])


def fingerprint(path: Path) -> str:
    """sha256 of an archive's bytes; for a folder, of every review's path, size and mtime."""
    if not path.is_dir():
        return sha256_file(path)
    digest = hashlib.sha256()
    try:
        for p in sorted(path.rglob("*.txt")):
            st = p.stat()
            digest.update(f"{p.relative_to(path)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return digest.hexdigest()


def read_reviews(path: Path) -> list[Review]:
    """Every labeled review of a Stanford-layout archive or folder (any order).

    Raises:
        DataError: a corrupt or truncated archive, a review that is not UTF-8, or a split
            without reviews (not the Stanford layout).
    """
    if path.is_dir():
        items = iter_folder(path)
    else:
        items = iter_archive(path)
    reviews: list[Review] = []
    for name, raw in items:
        m = MEMBER.search(name)
        if m is None:
            continue
        split, polarity, review_id, _rating = m.groups()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{path}: {name}: review is not UTF-8 (byte {exc.start}); the Stanford archive is "
                "UTF-8 throughout, so this file is damaged: download the archive again"
            ) from None
        reviews.append((split, 1 if polarity == "pos" else 0, int(review_id), text,
                        name.rsplit("/", 1)[-1]))
    counts = collections.Counter((r[0], r[1]) for r in reviews)
    missing = [
        f"{split}/{'pos' if label else 'neg'}"
        for split in ("train", "test")
        for label in (1, 0)
        if counts[(split, label)] == 0
    ]
    if missing:
        raise DataError(
            f"{path}: no reviews in {', '.join(missing)}; expected the Stanford layout "
            "aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt"
        )
    return reviews


def iter_archive(path: Path) -> Iterator[tuple[str, bytes]]:
    """``(member name, bytes)`` of every review file of a ``.tar.gz`` archive."""
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                if member.isfile() and member.name.endswith(".txt"):
                    f = tar.extractfile(member)
                    if f is not None:
                        yield member.name, f.read()
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        # tarfile lists every compression it tried on lines of their own: keep the first.
        reason = first_line(exc).rstrip(":")
        raise DataError(
            f"{path}: not a readable .tar.gz archive, it is corrupt or truncated ({reason}); "
            "download it again"
        ) from None


def iter_folder(path: Path) -> Iterator[tuple[str, bytes]]:
    """``(path relative to the folder, bytes)`` of every review file under a folder."""
    for p in sorted(path.rglob("*.txt")):
        rel = p.relative_to(path).as_posix()
        if MEMBER.search(rel):
            yield rel, p.read_bytes()


def tokenize(text: str) -> list[str]:
    """Lower-case words of a review, HTML tags (``<br />``) removed.

    Linear in the length of the text: an empty review gives ``[]``, a review of 100,000 words
    takes about 0.1 s. Only the text up to the last ``>`` can hold a tag, so the tag pattern never
    rescans a long tail of unclosed ``<`` (which made it quadratic: minutes for a 300,000
    character review of ``<`` without ``>``).
    """
    text = text.lower()
    head, close, tail = text.rpartition(">")
    return WORD.findall(TAG.sub(" ", head + close) + tail)


def encode_reviews(reviews: list[Review]) -> tuple[EncodedReviews, EncodedReviews]:
    """Encode reviews as ``keras.datasets.imdb`` does, before the num_words cut.

    Words are ranked by frequency over the training reviews (ties broken alphabetically); a word
    seen only in the test reviews gets OOV_CHAR.
    """
    train, test, _ = encode_ranked(reviews)
    return train, test


def word_index_of(ranked: list[str]) -> dict[str, int]:
    """The word index of words ranked by frequency (most frequent first), in the encoding's
    convention: rank r -> index r + 3 (``keras.datasets.imdb.get_word_index()`` + index_from)."""
    return {word: rank + INDEX_FROM for rank, word in enumerate(ranked, start=1)}


def encode_ranked(reviews: list[Review]) -> tuple[EncodedReviews, EncodedReviews, list[str]]:
    """:func:`encode_reviews`, and the ranked words (rank 1 first)."""
    ordered = sorted(reviews, key=lambda r: (r[0] != "train", r[1], r[2]))
    tokens = [tokenize(r[3]) for r in ordered]
    counts: collections.Counter[str] = collections.Counter()
    for r, toks in zip(ordered, tokens, strict=True):
        if r[0] == "train":
            counts.update(toks)
    ranked = [word for word, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    index = word_index_of(ranked)

    rng = np.random.RandomState(SHUFFLE_SEED)
    splits = []
    for split in ("train", "test"):
        rows = [i for i, r in enumerate(ordered) if r[0] == split]
        order = np.arange(len(rows))
        rng.shuffle(order)  # the same RandomState, train then test, as keras.datasets.imdb
        seqs = [[START_CHAR] + [index.get(w, OOV_CHAR) for w in tokens[rows[j]]] for j in order]
        flat, offsets = offsets_of(seqs)
        labels = np.array([ordered[rows[j]][1] for j in order], dtype=np.int8)
        splits.append(EncodedReviews(flat, offsets, labels))
    return splits[0], splits[1], ranked


__all__ = ["INDEX_FROM", "MEMBER", "OOV_CHAR", "SHUFFLE_SEED", "START_CHAR", "EncodedReviews",
           "Review", "encode_ranked", "encode_reviews", "fingerprint", "iter_archive",
           "iter_folder", "read_reviews", "tokenize", "word_index_of"]
