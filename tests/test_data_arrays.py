"""harness.data.arrays: a user's .npz, and the one-line errors for bad ones (tests/data/arrays)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from support import DATA

from harness.contract import check_data
from harness.data import SOURCES, load_data
from harness.errors import DataError
from harness.spec import load_spec, parse_spec

ARRAYS = DATA / "arrays"
SPEC = DATA / "specs" / "good_arrays_tiny.yaml"


def _spec(file="../arrays/good.npz", **train):
    doc = load_spec(SPEC).model_dump(mode="json", exclude_unset=True)
    doc["data"]["file"] = str(file)
    doc["train"].update(train)
    return parse_spec(doc, str(SPEC))


def test_registry_names_every_source():
    assert set(SOURCES) == {"imdb", "imdb_text", "jena_climate", "arrays"}


def test_file_is_read_relative_to_the_spec():
    spec = load_spec(SPEC)
    data = load_data(spec)
    with np.load(ARRAYS / "good.npz") as z:
        np.testing.assert_array_equal(data.x_train, z["x_train"])
        np.testing.assert_array_equal(data.y_test, z["y_test"])
    assert data.source == f"file:{SPEC.parent / '../arrays/good.npz'}"
    assert data.validation == "split" and data.unit == "samples"
    fit = data.fit_args(spec.train)
    assert fit["validation_split"] == 0.5 and fit["batch_size"] == 2
    assert data.sample_counts(spec.train) == (4, 4)
    import hashlib

    assert data.checksum == hashlib.sha256((ARRAYS / "good.npz").read_bytes()).hexdigest()


def test_data_option_overrides_the_file():
    assert load_data(_spec("nowhere.npz"), ARRAYS / "good.npz").x_train.shape == (8, 5)


def test_explicit_validation_arrays():
    spec = _spec(ARRAYS / "with_val.npz", validation_split=0.0)
    data = load_data(spec)
    assert data.validation == "arrays" and data.x_val.shape == (2, 5)
    fit = data.fit_args(spec.train)
    assert "validation_split" not in fit and fit["validation_data"][0] is data.x_val
    assert data.sample_counts(spec.train) == (8, 2)
    with pytest.raises(DataError, match="explicit validation data and train.validation_split"):
        load_data(_spec(ARRAYS / "with_val.npz"))


def test_head_slices_train_and_test_only():
    data = load_data(_spec(ARRAYS / "with_val.npz", validation_split=0.0)).head(3, 1)
    assert len(data.x_train) == 3 and len(data.y_train) == 3 and len(data.x_test) == 1
    assert len(data.x_val) == 2 and data.info["sliced"]


def test_contract_of_integer_arrays_into_an_embedding():
    spec = load_spec(SPEC)
    rows = {r["check"]: r["problem"] for r in check_data(spec, load_data(spec))}
    assert rows["token indices < Embedding input_dim"] is None
    assert rows["shapes"] is None and rows["finite values"] is None
    assert rows["labels in {0, 1} and balanced"] == "not applicable"
    doc = load_spec(SPEC).model_dump(mode="json", exclude_unset=True)
    doc["model"]["layers"][0]["input_dim"] = 10
    doc["model"]["layers"][0]["expect"]["params"] = 40
    doc["model"]["expect"]["total_params"] = 81
    small = parse_spec(doc, str(SPEC))
    with pytest.raises(DataError, match=r"x_train\[\d\] holds token index \d+ >= model.layers"
                       r"\[0\] \(Embedding\) input_dim 10; the arrays of file:.*good.npz must "
                       "hold indices < input_dim"):
        check_data(small, load_data(small))


def test_contract_catches_nan_and_wrong_width():
    doc = load_spec(SPEC).model_dump(mode="json", exclude_unset=True)
    doc["model"] = {"input": {"shape": [5], "dtype": "float32"},
                    "layers": [{"type": "Dense", "units": 1}]}
    doc["data"]["file"] = str(ARRAYS / "nan.npz")
    spec = parse_spec(doc, "nan.yaml")
    with pytest.raises(DataError, match=r"^nan.yaml: data contract: x_train\[3\] holds nan in "
                       r"file:.*nan.npz; every value must be a finite number$"):
        check_data(spec, load_data(spec))
    doc["model"]["input"]["shape"] = [6]
    doc["data"]["file"] = str(ARRAYS / "good.npz")
    spec = parse_spec(doc, "wide.yaml")
    with pytest.raises(DataError, match=r"x_train has shape \(8, 5\), expected \(samples, 6\)"):
        check_data(spec, load_data(spec))


@pytest.mark.parametrize(("name", "message"), [
    ("missing.npz", "missing.npz: no such file; data.file names a .npz written with "
                    "numpy.savez(file, x_train=..., y_train=..., x_test=..., y_test=...) (x_val, "
                    "y_val optional), relative to the spec's folder (or pass --data PATH)"),
    ("missing_test.npz", "missing_test.npz: no x_test, y_test (it holds x_train, y_train); "
                         "write it with numpy.savez("),
    ("x_val_only.npz", "x_val_only.npz: no y_val (it holds x_test, x_train, x_val, y_test, "
                       "y_train)"),
    ("mismatched.npz", "mismatched.npz: x_train has 8 rows but y_train has 7; each sample needs "
                       "its label"),
    ("text_labels.npz", "text_labels.npz: y_train holds <U3 values, not numbers; encode them as "
                        "numbers (labels as 0/1 or class indices) first"),
    ("truncated.npz", "truncated.npz: not a readable .npz file ("),
    ("not_npz.npz", "not_npz.npz: not a readable .npz file ("),
])
def test_bad_files_are_one_line(name, message):
    with pytest.raises(DataError) as exc:
        load_data(_spec(ARRAYS / name))
    msg = str(exc.value)
    assert msg.startswith(f"{ARRAYS}/{message}") and "\n" not in msg


def test_run_trains_on_arrays_and_slices_them(harness, tmp_path):
    result = harness("run", SPEC, "--out", tmp_path / "out", "--mode", "default",
                     "--train-samples", "6", "--test-samples", "2")
    assert result.code == 0, result.err
    assert "x_train (6, 5), x_test (2, 5)" in result.out
    doc = json.loads((tmp_path / "out" / "arrays_tiny" / "results.json").read_text())
    assert doc["data"]["dataset"] == "arrays" and doc["data"]["train_samples"] == 3
    assert doc["test"]["samples"] == 2
    result = harness("run", SPEC, "--out", tmp_path / "out", "--train-samples", "9")
    assert result.error.startswith("error: --train-samples 9: file:") and result.error.endswith(
        "has only 8 training samples; pass at most 8 or leave the option out")
