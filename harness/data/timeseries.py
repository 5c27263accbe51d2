"""``dataset: jena_climate``: a timeseries CSV in the Jena climate layout, windowed as notebook 6.3
(Deep Learning with Python, 1st ed., 6.3-advanced-usage-of-recurrent-neural-networks) does.

The file: a header ``"Date Time","p (mbar)","T (degC)",...`` (15 columns) and one row per 10
minutes (420,551 rows in ``jena_climate_2009_2016.csv``). ``float_data`` is every column but
``Date Time``, normalized by the mean and std of the training rows. A sample ending at row ``i``
holds rows ``i - lookback, i - lookback + step, ..., i - step`` (``lookback // step``
timesteps, every column); its target is the ``target`` column (normalized) at row ``i + delay``.

Row ranges are the notebook generator's ``min_index``/``max_index``: window ends ``i`` run over
``[min_index + lookback, max_index)``; a range's last value ``null`` is ``len(rows) - delay - 1``.
Training windows are drawn at random (``np.random.randint(min_index + lookback, max_index)``)
when ``shuffle``; validation and test windows are sequential, starting again at the first window
when the next batch would reach ``max_index``, exactly as the notebook's generator does.
``reverse`` reverses each window in time (the notebook's ``reverse_order_generator``).

Steps: ``train.steps_per_epoch`` and ``train.validation_steps`` when the spec gives them, else
``(max_index - min_index - lookback) // batch_size``; the test set is evaluated on
``(max_index - min_index - lookback) // batch_size`` batches, ``max_index`` the number of rows for
``null`` (the notebook's ``test_steps``).

The naive baseline (the notebook's ``evaluate_naive_method``: predict the temperature 24 hours
later as the last one in the window) is the mean absolute error over the validation batches, in
normalized units; the notebook printed 0.2897 for the real file.

The file is not shipped: :func:`load` finds it as ``--data PATH``, ``$HARNESS_JENA_DATA``,
``$HARNESS_DATA_DIR/<file>`` or ``<file>`` in the working directory.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, MissingDataFile
from .dataset import Dataset, locate, sha256_file, spec_folder

JENA_ENV = "HARNESS_JENA_DATA"
JENA_URL = "https://s3.amazonaws.com/keras-datasets/jena_climate_2009_2016.csv.zip"
JENA_COLUMNS = (
    "Date Time", "p (mbar)", "T (degC)", "Tpot (K)", "Tdew (degC)", "rh (%)", "VPmax (mbar)",
    "VPact (mbar)", "VPdef (mbar)", "sh (g/kg)", "H2OC (mmol/mol)", "rho (g/m**3)", "wv (m/s)",
    "max. wv (m/s)", "wd (deg)",
)
SPLITS = ("train", "val", "test")


def load(spec, path=None, *, cache_dir=None, batch_size=None) -> Dataset:
    """The registry's entry (:func:`harness.data.load_data`) for ``dataset: jena_climate``.

    Raises:
        DataError: the file is not found (the message names it and where to get it), cannot be
            read, or is not a CSV of a header and numbers (line and column named).
    """
    data_spec = spec.data
    file, looked = locate(data_spec.file, path, JENA_ENV, spec_folder(spec))
    if file is None:
        raise MissingDataFile(
            f"{data_spec.file}: no such file (looked at {', '.join(looked)}); download "
            f"{JENA_URL}, unzip it, and pass --data PATH (or set {JENA_ENV}, or "
            "HARNESS_DATA_DIR to its folder)")
    columns, raw = read_csv(file)
    batch_size = batch_size or (spec.train.batch_size if spec.train is not None else 128)
    windows = Windows.from_raw(file, columns, raw, data_spec)
    train = spec.train
    info: dict[str, Any] = {
        "file": str(file), "rows": int(len(raw)), "columns": columns[1:],
        "lookback": data_spec.lookback, "step": data_spec.step, "delay": data_spec.delay,
        "train_rows": list(data_spec.train_rows), "val_rows": list(data_spec.val_rows),
        "test_rows": list(data_spec.test_rows), "target": data_spec.target,
        "reverse": data_spec.reverse, "shuffle": data_spec.shuffle,
        "normalization": "mean and std of train_rows", "batch_size": batch_size,
    }
    if not windows.problems(batch_size) and windows.nonfinite is None and not windows.constant:
        val_steps = (train.validation_steps if train is not None else None) \
            or windows.default_steps("val", batch_size)
        info["naive_baseline_mae"] = windows.naive_mae(batch_size, val_steps)
        info["naive_baseline"] = ("validation MAE (normalized) of predicting the target "
                                  f"{data_spec.delay} rows after the window as its last value")
    return Dataset(x_train=None, y_train=None, x_test=None, y_test=None,
                   source=f"file:{file}", checksum=sha256_file(file), info=info,
                   windows=windows, dataset="jena_climate", unit="windows")


# ---------------------------------------------------------------------------------------------
# The CSV


def read_csv(path: Path) -> tuple[list[str], np.ndarray]:
    """The header's column names and every other column of every row as float64.

    Raises:
        DataError: ``<file> line N[, column C ("name")]: what is wrong`` for an unreadable file,
            a row with another number of fields than the header, or a value that is not a
            number; a file without data rows.
    """
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
        if magic.startswith(b"PK"):
            raise DataError(f"{path}: a zip archive, not the CSV: unzip it and give the .csv "
                            "inside")
        if magic.startswith(b"\x1f\x8b"):
            raise DataError(f"{path}: a gzip archive, not a CSV (--data names the data of the "
                            "spec's own source)")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise DataError(f"{path} line {line}: not UTF-8 text (byte {exc.start}); the Jena CSV is "
                        "plain text: download it again") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise DataError(f"{path} line 1: no header; expected the Jena climate columns "
                        f"{_header_text()}")
    columns = [c.strip() for c in next(csv.reader([lines[0]]))]
    if len(columns) < 2:
        raise DataError(f"{path} line 1: {len(columns)} column, expected a date column and "
                        f"numbers: {_header_text()}")
    if len(lines) < 2:
        raise DataError(f"{path}: no data rows after the header")
    n_fields = len(columns)
    body = lines[1:]
    # Fast path: every row has the header's number of fields, no blank lines; numpy parses.
    if sum(line.count(",") for line in body) == (n_fields - 1) * len(body) and all(body):
        try:
            raw = np.loadtxt(io.StringIO("\n".join(body)), delimiter=",", comments=None,
                             usecols=range(1, n_fields), dtype=np.float64, ndmin=2)
        except ValueError:
            raw = None
        if raw is not None and raw.shape == (len(body), n_fields - 1):
            return columns, raw
    raise DataError(_first_bad_line(path, columns, body))


def _first_bad_line(path: Path, columns: list[str], body: list[str]) -> str:
    n_fields = len(columns)
    for lineno, line in enumerate(body, start=2):
        if not line.strip():
            return f"{path} line {lineno}: empty line; every row holds {n_fields} fields"
        fields = line.split(",")
        if len(fields) != n_fields:
            return (f"{path} line {lineno}: {len(fields)} fields, expected {n_fields} (the "
                    f"header's columns)")
        for j, value in enumerate(fields[1:], start=1):
            try:
                float(value)
            except ValueError:
                return (f'{path} line {lineno}, column {j + 1} ("{columns[j]}"): {value!r} is '
                        "not a number")
    return f"{path}: not a CSV of numbers after the date column"  # pragma: no cover


def _header_text() -> str:
    return ",".join(f'"{c}"' for c in JENA_COLUMNS)


# ---------------------------------------------------------------------------------------------
# Windows


@dataclass
class Windows:
    """The normalized series and the notebook's window arithmetic (a :class:`BatchSource`).

    Attributes:
        data: (rows, features) float32, every column but the date, normalized.
        ranges: ``{"train": (min_index, max_index | None), "val": ..., "test": ...}``.
        target: index of the target column in ``data`` (None: not in the file).
        nonfinite: the first value of the file that is NaN or infinite, as ``(line, column
            name, value)``; constant: columns with std 0 over the training rows.
    """

    file: Path
    columns: list[str]
    data: np.ndarray
    lookback: int
    step: int
    delay: int
    ranges: dict[str, tuple[int, int | None]]
    target: int | None
    target_name: str
    reverse: bool = False
    shuffle: bool = True
    nonfinite: tuple[int, str, float] | None = None
    constant: list[str] = field(default_factory=list)

    @classmethod
    def from_raw(cls, file: Path, columns: list[str], raw: np.ndarray, data_spec) -> Windows:
        ranges = {"train": tuple(data_spec.train_rows), "val": tuple(data_spec.val_rows),
                  "test": tuple(data_spec.test_rows)}
        names = columns[1:]
        target = names.index(data_spec.target) if data_spec.target in names else None
        bad = np.argwhere(~np.isfinite(raw))
        nonfinite = None
        if bad.size:
            r, c = (int(v) for v in bad[0])
            nonfinite = (r + 2, names[c], float(raw[r, c]))
        lo, hi = ranges["train"]
        train = raw[lo:hi]
        with np.errstate(all="ignore"):
            mean = train.mean(axis=0) if len(train) else np.zeros(raw.shape[1])
            std = train.std(axis=0) if len(train) else np.ones(raw.shape[1])
            constant = [names[j] for j in np.flatnonzero(std == 0)]
            data = ((raw - mean) / np.where(std == 0, 1.0, std)).astype(np.float32)
        return cls(file=file, columns=columns, data=data, lookback=data_spec.lookback,
                   step=data_spec.step, delay=data_spec.delay, ranges=ranges, target=target,
                   target_name=data_spec.target, reverse=data_spec.reverse,
                   shuffle=data_spec.shuffle, nonfinite=nonfinite, constant=constant)

    @property
    def timesteps(self) -> int:
        return self.lookback // self.step

    @property
    def dtype(self) -> str:
        """The dtype of the windows' samples (``float32``)."""
        return str(self.data.dtype)

    def bounds(self, split: str) -> tuple[int, int]:
        """``(min_index, max_index)`` of a split, ``null`` resolved as the notebook does."""
        lo, hi = self.ranges[split]
        return lo, (len(self.data) - self.delay - 1 if hi is None else hi)

    def window_count(self, split: str) -> int:
        """How many window ends a split has: ``max_index - (min_index + lookback)``."""
        lo, hi = self.bounds(split)
        return max(0, hi - lo - self.lookback)

    def shape(self, split: str) -> list[int]:
        return [self.window_count(split), self.timesteps, int(self.data.shape[1])]

    def default_steps(self, split: str, batch_size: int) -> int:
        lo, hi = self.ranges[split]
        if hi is None:  # the notebook's test_steps: (len(float_data) - 300001 - lookback) // 128
            hi = len(self.data)
        return max(0, (hi - lo - self.lookback) // batch_size)

    def problems(self, batch_size: int | None = None) -> list[str]:
        """What makes windows impossible: ranges outside the file, no window (or, given a
        batch_size, too few for one batch), a window shape the notebook's arithmetic cannot
        fill, a missing target. Empty when fine."""
        out = []
        n = len(self.data)
        if self.lookback % self.step:
            out.append(f"data.lookback {self.lookback} is not a multiple of data.step "
                       f"{self.step}: a window would hold {-(-self.lookback // self.step)} rows "
                       f"but lookback // step = {self.timesteps} timesteps")
        if self.target is None:
            out.append(f"{self.file} line 1: no column {self.target_name!r} (data.target)")
        for split in SPLITS:
            lo, hi = self.bounds(split)
            given = self.ranges[split]
            shown = f"data.{split}_rows [{given[0]}, {'null' if given[1] is None else given[1]}]"
            if hi + self.delay > n:  # the last window ends at hi - 1, its target delay later
                out.append(f"{self.file} has {n:,} rows (lines 2-{n + 1:,}); {shown} needs rows "
                           f"up to {hi - 1 + self.delay:,} (its last window end + delay "
                           f"{self.delay})")
            elif lo + self.lookback >= hi:
                out.append(f"{shown} holds no window of {self.file} ({n:,} rows): its first "
                           f"window ends at row "
                           f"{lo + self.lookback:,} (min + lookback {self.lookback}), not before "
                           f"its max {hi:,}")
            elif batch_size and split != "train" and self.default_steps(split, batch_size) < 1:
                out.append(f"{shown} holds {self.window_count(split):,} windows of "
                           f"{self.file}, fewer than one batch of {batch_size}")
        return out

    # -- batches -----------------------------------------------------------------------------

    def rows(self, split: str, index: int, batch_size: int, seed: int | None = None,
             random: bool = False) -> np.ndarray:
        """The window ends of batch ``index``: drawn with ``RandomState([seed, index])`` when
        ``random``, else the notebook's sequential generator (see the module docstring)."""
        lo, hi = self.bounds(split)
        first = lo + self.lookback
        if random:
            rng = np.random.RandomState([seed or 0, index])
            return rng.randint(first, hi, size=batch_size)
        # The generator resets to `first` when i + batch_size >= max_index: a cycle of `per`
        # whole batches (or one short batch when not even one fits).
        per = max(0, (hi - first - batch_size - 1) // batch_size + 1)
        if per == 0:
            return np.arange(first, hi)
        return first + (index % per) * batch_size + np.arange(batch_size)

    def batch(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(samples (len(rows), lookback // step, features), targets (len(rows),))``."""
        offsets = np.arange(self.timesteps) * self.step - self.lookback
        samples = self.data[rows[:, None] + offsets[None, :]]
        targets = self.data[rows + self.delay, self.target]
        if self.reverse:
            samples = samples[:, ::-1, :]
        return np.ascontiguousarray(samples), targets

    def sequence(self, split: str, batch_size: int, *, seed: int | None = None,
                 steps: int | None = None):
        """A ``keras.utils.PyDataset`` of ``split``; endless unless ``steps`` is given. Training
        windows are random when ``shuffle`` (from ``seed``, batch by batch, so the batches do
        not depend on which thread asks for them, or when)."""
        return _sequence_class()(self, split, batch_size, seed,
                                 steps, split == "train" and self.shuffle)

    def naive_mae(self, batch_size: int, steps: int) -> float:
        """The notebook's ``evaluate_naive_method``: the mean over ``steps`` validation batches
        of each batch's mean |last value of the target column in the window - target|."""
        last = (self.timesteps - 1) * self.step - self.lookback
        maes = []
        for j in range(steps):
            rows = self.rows("val", j, batch_size)
            preds = self.data[rows + last, self.target].astype(np.float64)
            maes.append(np.mean(np.abs(preds - self.data[rows + self.delay, self.target])))
        return float(np.mean(maes)) if maes else float("nan")

    def describe(self) -> str:
        ends = ", ".join(f"{s} [{lo + self.lookback}, {hi})"
                         for s, (lo, hi) in ((s, self.bounds(s)) for s in SPLITS))
        reversed_ = " reversed in time" if self.reverse else ""
        return (f"{len(self.data):,} rows x {self.data.shape[1]} columns; windows of "
                f"({self.timesteps}, {self.data.shape[1]}){reversed_} ending at rows {ends}; "
                f"target {self.target_name!r} {self.delay} rows later")


@functools.lru_cache(maxsize=1)
def _sequence_class():
    import keras

    class WindowSequence(keras.utils.PyDataset):
        """Batches of one split of :class:`Windows`; ``steps`` None: endless."""

        def __init__(self, windows: Windows, split: str, batch_size: int, seed: int | None,
                     steps: int | None, random: bool):
            super().__init__()
            self.windows, self.split, self.batch_size = windows, split, batch_size
            self.seed, self.steps, self.random = seed, steps, random

        @property
        def num_batches(self) -> int | None:
            return self.steps

        def __getitem__(self, index: int):
            w = self.windows
            return w.batch(w.rows(self.split, index, self.batch_size, self.seed, self.random))

    return WindowSequence
