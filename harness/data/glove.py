"""Pretrained GloVe vectors for an Embedding layer (notebook 6.1's frozen Embedding).

A spec's Embedding with ``pretrained: {format: glove, file: glove.6B.100d.txt}`` starts training
with the GloVe vector of each word of the data's word index (``dataset: imdb_text``) in the row of
that word's index: an ``(input_dim, output_dim)`` matrix built as the notebook builds
``embedding_matrix`` (rows of words GloVe does not have stay 0, row 0, padding, stays 0, words of
index >= input_dim are left out). ``trainable: false`` on the layer keeps it frozen.

The file is GloVe's text format: a word, then its ``output_dim`` numbers, separated by spaces, one
word a line (UTF-8). It is not shipped (``glove.6B.zip`` from
https://nlp.stanford.edu/projects/glove/ holds the 50, 100, 200 and 300 dimensional files) and is
found as ``$HARNESS_GLOVE`` (the file, or its folder), ``$HARNESS_DATA_DIR/<file>``, or ``<file>``
in the working directory. Only the vectors of the words the matrix needs are parsed as numbers;
every line's number of values is checked.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import DataError, MissingDataFile
from .dataset import locate, spec_folder

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from ..spec import Spec
    from .dataset import Dataset

GLOVE_ENV = "HARNESS_GLOVE"
GLOVE_URL = "https://nlp.stanford.edu/projects/glove/"


def find_glove(file: str, folder: Path | None = None) -> Path:
    """The GloVe file named by a spec (``folder``: the spec's, looked in too).

    Raises:
        DataError: not found; names the file, where it was looked for and where to get it.
    """
    path, looked = locate(file, None, GLOVE_ENV, folder)
    if path is None:
        raise MissingDataFile(f"{file}: no such file (looked at {', '.join(looked)}); download "
                        f"glove.6B.zip from {GLOVE_URL}, unzip it, and set {GLOVE_ENV} to the "
                        "file (or HARNESS_DATA_DIR to its folder)")
    return path


def embedding_matrix(path: Path, word_index: dict[str, int], input_dim: int,
                     output_dim: int) -> tuple[np.ndarray, dict[str, Any]]:
    """The ``(input_dim, output_dim)`` float32 matrix of a word index's GloVe vectors.

    Returns:
        The matrix and what to record: the file, its sha256, how many rows were filled.

    Raises:
        DataError: ``<file> line N: ...`` for a line that is not UTF-8, has another number of
            values than ``output_dim``, or a value that is not a finite number; a file that
            cannot be read.
    """
    wanted = {w: i for w, i in word_index.items() if 0 < i < input_dim}
    matrix = np.zeros((input_dim, output_dim), dtype=np.float32)
    digest = hashlib.sha256()
    found = lines = 0
    try:
        with open(path, "rb") as f:
            for lineno, raw in enumerate(f, start=1):
                digest.update(raw)
                try:
                    line = raw.decode("utf-8").rstrip()
                except UnicodeDecodeError as exc:
                    raise DataError(f"{path} line {lineno}: not UTF-8 text (byte {exc.start}); "
                                    "GloVe files are UTF-8: download it again") from None
                if not line:
                    continue
                lines += 1
                # GloVe separates by single spaces: count them before splitting the line.
                cut = line.find(" ")
                word, count = (line[:cut], line.count(" ")) if cut > 0 else (line, 0)
                parts = None
                if count != output_dim or "\t" in line or "  " in line:
                    parts = line.split()
                    word, count = parts[0], len(parts) - 1
                if count != output_dim:
                    hint = (f"; the file holds {count}-dimensional vectors: use the "
                            f"{output_dim}d file or output_dim {count}" if lineno == 1 else "")
                    raise DataError(f"{path} line {lineno}: {count} values after the word, "
                                    f"expected {output_dim} (the Embedding's output_dim){hint}")
                index = wanted.get(word)
                if index is None:
                    continue
                values = (parts or line.split())[1:]
                try:
                    vector = np.array(values, dtype=np.float32)
                except ValueError:
                    bad = next(v for v in values if not _is_number(v))
                    raise DataError(f"{path} line {lineno}: {bad!r} is not a number") from None
                if not np.isfinite(vector).all():
                    raise DataError(f"{path} line {lineno}: a value is not a finite number")
                if not matrix[index].any():
                    found += 1
                matrix[index] = vector  # a word listed twice: the last line wins, as a dict does
    except OSError as exc:
        what = "is a folder, not a GloVe file" if path.is_dir() else \
            f"cannot read ({exc.strerror or exc})"
        raise DataError(f"{path}: {what}") from None
    if lines == 0:
        raise DataError(f"{path}: empty; a GloVe file holds a word and its {output_dim} numbers "
                        "per line")
    info = {"format": "glove", "file": str(path), "sha256": digest.hexdigest(), "words": lines,
            "rows_filled": found, "rows_wanted": len(wanted)}
    return matrix, info


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def pretrained_weights(spec: Spec, data: Dataset) -> dict[str, tuple[np.ndarray, dict]]:
    """The matrix of every Embedding of the spec that names pretrained vectors, by layer name.

    Raises:
        DataError: the data has no word index (not a text source), the file is not found or
            is malformed (one line each).
    """
    from ..build import layer_names

    out: dict[str, tuple[np.ndarray, dict]] = {}
    layers = spec.model.layers or []
    for i, (layer, name) in enumerate(zip(layers, layer_names(spec), strict=True)):
        if layer.pretrained is None:
            continue
        where = f"{spec.path}: model.layers[{i}].pretrained"
        if data.word_index is None:
            raise DataError(f"{where}: GloVe vectors are looked up by word, and data.dataset "
                            f"{data.dataset} has no word index; use dataset: imdb_text (the "
                            "raw reviews tokenized)")
        path = find_glove(layer.pretrained.file, spec_folder(spec))
        matrix, info = embedding_matrix(path, data.word_index, int(layer.arg("input_dim")),
                                        int(layer.arg("output_dim")))
        out[name] = (matrix, info)
    return out


def apply_pretrained(model: keras.Model, weights: dict[str, tuple[np.ndarray, dict]]) -> None:
    """Set each named Embedding's weights (on the model that trains)."""
    for name, (matrix, _) in weights.items():
        model.get_layer(name).set_weights([matrix])
