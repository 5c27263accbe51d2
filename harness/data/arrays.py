"""``dataset: arrays``: a user's ``.npz`` (``numpy.savez``) with ``x_train``, ``y_train``,
``x_test``, ``y_test`` and optionally ``x_val``, ``y_val`` (then fit validates on them instead of
``train.validation_split``). The generic way in for data the harness has no source for.

A relative ``data.file`` is read from the spec's folder; ``--data PATH`` overrides it.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..errors import DataError, MissingDataFile, first_line
from .dataset import Dataset, sha256_file, spec_folder

REQUIRED = ("x_train", "y_train", "x_test", "y_test")
OPTIONAL = ("x_val", "y_val")
HOW = ("numpy.savez(file, x_train=..., y_train=..., x_test=..., y_test=...) (x_val, y_val "
       "optional)")


def locate_arrays(spec, path=None) -> Path:
    """``--data`` when given, else ``data.file`` (relative to the spec's folder)."""
    if path is not None:
        return Path(path)
    file = Path(spec.data.file)
    folder = spec_folder(spec)
    return folder / file if folder is not None and not file.is_absolute() else file


def load(spec, path=None, *, cache_dir=None, batch_size=None) -> Dataset:
    """The registry's entry (:func:`harness.data.load_data`) for ``dataset: arrays``.

    Raises:
        DataError: one line naming the file: missing, not a readable .npz, a key missing (or
            x_val without y_val), rows of x and y that differ in number.
    """
    file = locate_arrays(spec, path)
    if not file.is_file():
        what = "a folder, not a file" if file.is_dir() else "no such file"
        raise MissingDataFile(f"{file}: {what}; data.file names a .npz written with {HOW}, "
                              "relative to the spec's folder (or pass --data PATH)")
    arrays = read_npz(file)
    missing = [k for k in REQUIRED if k not in arrays]
    if ("x_val" in arrays) != ("y_val" in arrays):
        missing.append("y_val" if "x_val" in arrays else "x_val")
    if missing:
        raise DataError(f"{file}: no {', '.join(missing)} (it holds "
                        f"{', '.join(sorted(arrays)) or 'nothing'}); write it with {HOW}")
    for split in ("train", "val", "test"):
        x, y = arrays.get(f"x_{split}"), arrays.get(f"y_{split}")
        if x is None or y is None:  # checked above: x_val comes with y_val
            continue
        if x.ndim == 0 or y.ndim == 0:
            scalar = f"x_{split}" if x.ndim == 0 else f"y_{split}"
            raise DataError(f"{file}: {scalar} is a single value, not an array of samples")
        if len(x) != len(y):
            raise DataError(f"{file}: x_{split} has {len(x):,} rows but y_{split} has "
                            f"{len(y):,}; each sample needs its label")
        for name, a in ((f"x_{split}", x), (f"y_{split}", y)):
            # Keras trains on numbers only: text labels must be encoded first.
            if not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
                raise DataError(f"{file}: {name} holds {a.dtype} values, not numbers; encode "
                                "them as numbers (labels as 0/1 or class indices) first")
    info = {"file": str(file), "keys": sorted(arrays)}
    return Dataset(x_train=arrays["x_train"], y_train=arrays["y_train"],
                   x_test=arrays["x_test"], y_test=arrays["y_test"],
                   source=f"file:{file}", checksum=sha256_file(file), info=info,
                   x_val=arrays.get("x_val"), y_val=arrays.get("y_val"),
                   dataset="arrays", unit="samples")


def read_npz(file: Path) -> dict[str, np.ndarray]:
    """Every array of an .npz (no pickled objects).

    Raises:
        DataError: the file is not a readable .npz (corrupt, truncated, pickled objects).
    """
    try:
        z = np.load(file, allow_pickle=False)
        if not hasattr(z, "files"):
            raise ValueError("a single .npy array, not an .npz of named arrays")
        with z:
            return {k: z[k] for k in z.files if k in REQUIRED + OPTIONAL}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error, KeyError) as exc:
        raise DataError(f"{file}: not a readable .npz file ({first_line(exc)}); write it with "
                        f"{HOW}") from None
