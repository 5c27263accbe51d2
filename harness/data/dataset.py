"""What every data source returns: a :class:`Dataset`, and the helpers the sources share (file
look-up, sha256, ragged sequences; the encoded-data cache is :mod:`harness.data.cache`'s).

A dataset feeds ``model.fit`` in one of two ways:

- arrays: ``x_train``/``y_train`` in memory, validated on ``validation_split`` of them (the last
  fraction, as Keras does) or on explicit ``x_val``/``y_val``; tested on ``x_test``/``y_test``;
- a generator: ``windows`` makes ``keras.utils.PyDataset`` batches for training (endless,
  ``train.steps_per_epoch`` batches an epoch), validation (``train.validation_steps``) and test.

:meth:`Dataset.fit_args` and :meth:`Dataset.evaluate_args` turn either into the arguments of
``model.fit`` / ``model.evaluate``, so training code never asks which one it has.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..errors import DataError
from .cache import CACHE_ENV, cache_path, cache_root, read_cache, write_cache

if TYPE_CHECKING:  # pragma: no cover
    from ..spec import TrainSpec

DATA_DIR_ENV = "HARNESS_DATA_DIR"


class BatchSource(Protocol):
    """A generator source (the Jena windows): batches are made on demand, ``batch_size`` rows
    each."""

    def sequence(self, split: str, batch_size: int, *, seed: int | None = None,
                 steps: int | None = None) -> Any:
        """A ``keras.utils.PyDataset`` of ``split`` (train, val, test); ``steps`` None: endless."""

    def default_steps(self, split: str, batch_size: int) -> int:
        """Batches of ``split`` when the spec does not say (the notebook's arithmetic)."""

    def shape(self, split: str) -> list[int]:
        """``[windows, timesteps, features]`` of ``split``: what identifies the data."""

    def describe(self) -> str:
        """A few words for the run's ``data:`` line."""

    @property
    def dtype(self) -> str:
        """The dtype of the batches' samples (``float32``)."""


@dataclass(frozen=True)
class Dataset:
    """Model-ready data and where it came from.

    Attributes:
        x_train, y_train: training arrays (None for a generator source).
        x_test, y_test: test arrays (None for a generator source).
        source: ``archive:<path>``, ``folder:<path>``, ``file:<path>`` or ``keras.datasets.imdb``.
        checksum: sha256 of the file or archive (a fingerprint of a folder); None for Keras's
            download.
        info: the options the data was made with (recorded into the results).
        x_val, y_val: explicit validation arrays (``data.validation_samples``, an arrays file's
            ``x_val``); None: ``train.validation_split`` holds out the last fraction of x_train.
        word_index: word -> index of a text source, in the encoding's own convention: ``imdb``
            rank r -> r + 3 (0 padding, 1 start, 2 out of vocabulary), as
            ``keras.datasets.imdb.get_word_index()`` + ``index_from``; ``imdb_text`` the
            Tokenizer's, rank r -> r (0 padding). Every word seen in the training reviews,
            whatever ``num_words``. None for other sources (and for Keras's download when its
            word index cannot be fetched). See :meth:`decode`.
        windows: the batch maker of a generator source, else None.
        dataset: the spec's ``data.dataset`` (imdb, imdb_text, jena_climate, arrays).
        unit: what one sample is, for messages (reviews, samples, windows).
    """

    x_train: np.ndarray | None
    y_train: np.ndarray | None
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    source: str
    checksum: str | None
    info: dict = field(default_factory=dict)
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    word_index: dict[str, int] | None = None
    windows: BatchSource | None = None
    dataset: str = "imdb"
    unit: str = "reviews"

    @property
    def generator(self) -> bool:
        """Whether fit gets batches from a generator (no arrays to slice)."""
        return self.windows is not None

    @property
    def validation(self) -> str:
        """How fit validates: ``generator``, ``arrays`` (explicit x_val) or ``split``."""
        if self.generator:
            return "generator"
        return "arrays" if self.x_val is not None else "split"

    @property
    def x_dtype(self) -> str:
        """The dtype of the model's input arrays (``int32`` word indices, ``float32`` multi-hot
        vectors or windows), as results record it (``data.x_dtype``)."""
        if self.windows is not None:
            return self.windows.dtype
        assert self.x_train is not None
        return str(self.x_train.dtype)

    @cached_property
    def _words_by_index(self) -> dict[int, str]:
        return {index: word for word, index in (self.word_index or {}).items()}

    def decode(self, row: Any) -> str:
        """One encoded row (of ``x_train``, ``x_val``, ``x_test``, or a list of indices) back
        into words, as the Keras docs decode ``keras.datasets.imdb``: padding (0) is dropped,
        an index without a word (the start index 1 and out-of-vocabulary 2 of ``imdb``) is
        ``?``. A multi-hot row gives the words it holds, in index order (most frequent first).

        Example (the tiny test reviews, ``imdb``): ``data.decode([0, 0, 1, 5, 7, 6])`` ->
        ``"? a bad movie"``.

        Raises:
            DataError: the source has no word index, or ``row`` is not one row of indices.
        """
        if self.word_index is None:
            raise DataError(f"{self.source}: data.dataset {self.dataset} has no word index to "
                            "decode with (imdb from Keras's download needs it online too)")
        values = np.asarray(row)
        if values.ndim != 1:
            raise DataError(f"{self.source}: decode takes one row of indices, got an array of "
                            f"shape {values.shape}; decode each row (data.decode(x[i]))")
        if self.info.get("representation") == "multi_hot":
            values = np.flatnonzero(values)
        words = self._words_by_index
        return " ".join(words.get(int(i), "?") for i in values if int(i) != 0)

    @property
    def x_train_shape(self) -> list[int]:
        """The training arrays' shape; for a generator, ``[windows, timesteps, features]``."""
        if self.windows is not None:
            return self.windows.shape("train")
        assert self.x_train is not None
        return list(self.x_train.shape)

    @property
    def x_test_shape(self) -> list[int]:
        if self.windows is not None:
            return self.windows.shape("test")
        assert self.x_test is not None
        return list(self.x_test.shape)

    def head(self, n_train: int | None = None, n_test: int | None = None) -> Dataset:
        """The first n_train training and n_test test samples (arrays only; already shuffled).
        Explicit validation arrays are kept whole."""
        if self.generator:
            raise DataError(f"{self.source}: a generator source cannot be sliced; set "
                            "train.steps_per_epoch to train on fewer batches")
        assert self.x_train is not None and self.x_test is not None
        return replace(
            self,
            info={**self.info, "sliced": True},
            x_train=self.x_train[:n_train],
            y_train=None if self.y_train is None else self.y_train[:n_train],
            x_test=self.x_test[:n_test],
            y_test=None if self.y_test is None else self.y_test[:n_test],
        )

    # -- what model.fit and model.evaluate get ----------------------------------------------

    def steps(self, train: TrainSpec) -> tuple[int, int]:
        """A generator's ``(steps_per_epoch, validation_steps)``: the spec's, else the
        notebook's arithmetic (:meth:`BatchSource.default_steps`)."""
        assert self.windows is not None
        b = train.batch_size
        return (train.steps_per_epoch or self.windows.default_steps("train", b),
                train.validation_steps or self.windows.default_steps("val", b))

    def fit_args(self, train: TrainSpec) -> dict[str, Any]:
        """The data arguments of ``model.fit``: x, y, batch_size and validation_split or
        validation_data; for a generator, its PyDatasets and steps_per_epoch, validation_steps.

        A generator's training windows are drawn from a seed taken from NumPy's global generator
        here, so a run seeded with ``keras.utils.set_random_seed`` draws the same windows.
        """
        if self.windows is not None:
            steps, val_steps = self.steps(train)
            seed = int(np.random.randint(2**31 - 1))
            return {"x": self.windows.sequence("train", train.batch_size, seed=seed),
                    "steps_per_epoch": steps,
                    "shuffle": False,  # the windows are drawn at random already
                    "validation_data": self.windows.sequence("val", train.batch_size),
                    "validation_steps": val_steps}
        args: dict[str, Any] = {"x": self.x_train, "y": self.y_train,
                                "batch_size": train.batch_size}
        if self.x_val is not None:
            args["validation_data"] = (self.x_val, self.y_val)
        else:
            args["validation_split"] = train.validation_split
        return args

    def sample_counts(self, train: TrainSpec) -> tuple[int, int]:
        """``(train_samples, val_samples)`` of one epoch."""
        if self.windows is not None:
            steps, val_steps = self.steps(train)
            return steps * train.batch_size, val_steps * train.batch_size
        assert self.x_train is not None
        n = len(self.x_train)
        if self.x_val is not None:
            return n, len(self.x_val)
        val = int(n * train.validation_split)
        return n - val, val

    def test_steps(self, batch_size: int) -> int | None:
        """Batches of a generator's test set (None for arrays)."""
        if self.windows is None:
            return None
        return self.windows.default_steps("test", batch_size)

    def evaluate_args(self, batch_size: int) -> dict[str, Any]:
        """The data arguments of ``model.evaluate``."""
        if self.windows is not None:
            steps = self.test_steps(batch_size)
            return {"x": self.windows.sequence("test", batch_size, steps=steps), "steps": steps}
        return {"x": self.x_test, "y": self.y_test, "batch_size": batch_size}

    def test_samples(self, batch_size: int) -> int:
        if self.windows is not None:
            return self.windows.default_steps("test", batch_size) * batch_size
        assert self.x_test is not None
        return int(len(self.x_test))

    def describe(self) -> str:
        """The run's ``data:`` line (after ``data: ``)."""
        if self.windows is not None:
            naive = self.info.get("naive_baseline_mae")
            shown = "" if naive is None else f"; naive baseline val MAE {naive:.4f}"
            return f"{self.source}: {self.windows.describe()}{shown}"
        assert self.x_train is not None and self.x_test is not None
        val = "" if self.x_val is None else f", x_val {self.x_val.shape}"
        return f"{self.source}: x_train {self.x_train.shape}{val}, x_test {self.x_test.shape}"


# ---------------------------------------------------------------------------------------------
# Files


def sha256_file(path: Path) -> str:
    """sha256 of a file's bytes.

    Raises:
        DataError: the file cannot be read.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return digest.hexdigest()


def spec_folder(spec) -> Path | None:
    """The folder of the spec file, where a relative data file may sit; None for a spec that
    was not read from a file."""
    return Path(spec.path).parent if getattr(spec, "path", "") else None


def locate(file: str, given: str | os.PathLike | None, env: str,
           spec_folder: Path | None = None) -> tuple[Path | None, list[str]]:
    """Find a data file: ``given`` (``--data``) when set, else ``$env``, else
    ``$HARNESS_DATA_DIR/<file>``, else ``<file>`` beside the spec, else ``<file>`` relative to the
    working directory. A folder given or named by ``$env`` is looked into for ``<file>``.

    Returns:
        The first path that exists (None when none does) and every place looked, for the message.
    """
    name = Path(file)
    candidates: list[tuple[str, Path]] = []
    if given is not None:
        candidates.append(("--data", Path(given)))
    else:
        if os.environ.get(env):
            candidates.append((f"${env}", Path(os.environ[env])))
        if os.environ.get(DATA_DIR_ENV) and not name.is_absolute():
            candidates.append((f"${DATA_DIR_ENV}", Path(os.environ[DATA_DIR_ENV]) / name))
        if spec_folder is not None and not name.is_absolute() \
                and (spec_folder / name).resolve() != name.resolve():
            candidates.append(("beside the spec", spec_folder / name))
        candidates.append(("the working directory" if not name.is_absolute() else "data.file",
                           name))
    looked = []
    for how, path in candidates:
        if path.is_dir():
            path = path / name.name
        looked.append(f"{path} ({how})")
        if path.is_file():
            return path, looked
    return None, looked


def ragged(flat: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    """One array per sequence of a flat array and its offsets (``offsets[-1] == len(flat)``)."""
    return np.split(flat, offsets[1:-1])


def offsets_of(seqs: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """``(flat int32, offsets int64)`` of a list of sequences."""
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    flat = np.fromiter((w for s in seqs for w in s), dtype=np.int32, count=int(offsets[-1]))
    return flat, offsets


# The cache's names (harness.data.cache) stay importable from here.
__all__ = ["CACHE_ENV", "DATA_DIR_ENV", "BatchSource", "Dataset", "cache_path", "cache_root",
           "locate", "offsets_of", "ragged", "read_cache", "sha256_file", "spec_folder",
           "write_cache"]
