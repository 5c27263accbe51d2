"""harness.data.timeseries: the Jena CSV windowed as notebook 6.3's generator does.

The real file (420,551 rows) is not here: a synthetic CSV with the real header stands in, and the
notebook's own generator and naive method, copied below, are the reference.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from support import DATA

from harness.contract import check_data
from harness.data import JENA_ENV, JENA_URL, load_data
from harness.errors import DataError
from harness.spec import parse_spec

ROWS = 3000  # the rows of conftest.jena_csv
LOOKBACK, STEP, DELAY, BATCH = 60, 6, 12, 16
TRAIN, VAL, TEST = (0, 1500), (1501, 2200), (2201, None)


def _spec(file="jena_climate_2009_2016.csv", train=None, timesteps=LOOKBACK // STEP, **data):
    doc = {
        "name": "jena_tiny",
        "model": {"input": {"shape": [timesteps, 14], "dtype": "float32"},
                  "layers": [{"type": "Flatten"}, {"type": "Dense", "units": 1}]},
        "data": {"dataset": "jena_climate", "file": str(file), "lookback": LOOKBACK,
                 "step": STEP, "delay": DELAY, "train_rows": list(TRAIN),
                 "val_rows": list(VAL), "test_rows": list(TEST), **data},
        "train": {"loss": "mae", "metrics": [], "epochs": 1, "batch_size": BATCH,
                  "steps_per_epoch": 5, "validation_steps": 4, **(train or {})},
    }
    return parse_spec(doc, "jena_tiny.yaml")


def _float_data(path: Path) -> np.ndarray:
    """Notebook 6.3, cells 4-6 and 10: parse, then normalize by the first 200000 (here 1500)."""
    lines = path.read_text().split("\n")
    header = lines[0].split(",")
    lines = lines[1:]
    float_data = np.zeros((len(lines), len(header) - 1))
    for i, line in enumerate(lines):
        float_data[i, :] = [float(x) for x in line.split(",")[1:]]
    mean = float_data[:TRAIN[1]].mean(axis=0)
    float_data -= mean
    std = float_data[:TRAIN[1]].std(axis=0)
    float_data /= std
    return float_data


def _notebook_generator(data, lookback, delay, min_index, max_index, shuffle=False,
                        batch_size=128, step=6):
    """Notebook 6.3, cell 11, verbatim but for the unbounded loop."""
    if max_index is None:
        max_index = len(data) - delay - 1
    i = min_index + lookback
    while 1:
        if shuffle:
            rows = np.random.randint(min_index + lookback, max_index, size=batch_size)
        else:
            if i + batch_size >= max_index:
                i = min_index + lookback
            rows = np.arange(i, min(i + batch_size, max_index))
            i += len(rows)
        samples = np.zeros((len(rows), lookback // step, data.shape[-1]))
        targets = np.zeros((len(rows),))
        for j, _row in enumerate(rows):
            indices = range(rows[j] - lookback, rows[j], step)
            samples[j] = data[indices]
            targets[j] = data[rows[j] + delay][1]
        yield samples, targets


@pytest.fixture(scope="module")
def loaded(jena_csv):
    return load_data(_spec(jena_csv))


def test_normalized_by_the_training_rows(loaded, jena_csv):
    np.testing.assert_allclose(loaded.windows.data, _float_data(jena_csv), atol=1e-5)
    assert loaded.windows.data.dtype == np.float32 and loaded.windows.data.shape == (ROWS, 14)


@pytest.mark.parametrize(("split", "rows"), [("val", VAL), ("test", TEST)])
def test_sequential_batches_are_the_notebooks(loaded, jena_csv, split, rows):
    # 2 cycles and a bit: the generator starts over when the next batch would reach max_index.
    reference = _notebook_generator(_float_data(jena_csv), LOOKBACK, DELAY, rows[0], rows[1],
                                    batch_size=BATCH, step=STEP)
    sequence = loaded.windows.sequence(split, BATCH)
    cycle = loaded.windows.window_count(split) // BATCH
    for index in range(2 * cycle + 3):
        samples, targets = next(reference)
        mine_x, mine_y = sequence[index]
        assert mine_x.shape == (BATCH, LOOKBACK // STEP, 14) and mine_x.dtype == np.float32
        np.testing.assert_allclose(mine_x, samples, atol=1e-5, err_msg=f"batch {index}")
        np.testing.assert_allclose(mine_y, targets, atol=1e-5)


def test_random_training_windows_against_numpy(loaded, jena_csv):
    float_data = _float_data(jena_csv)
    sequence = loaded.windows.sequence("train", BATCH, seed=7)
    seen = set()
    for index in range(20):
        x, y = sequence[index]
        rows = np.random.RandomState([7, index]).randint(TRAIN[0] + LOOKBACK, TRAIN[1], BATCH)
        assert rows.min() >= TRAIN[0] + LOOKBACK and rows.max() < TRAIN[1]
        for j, row in enumerate(rows):
            np.testing.assert_allclose(x[j], float_data[row - LOOKBACK:row:STEP], atol=1e-5)
            assert y[j] == pytest.approx(float_data[row + DELAY, 1], abs=1e-5)
        seen.update(rows.tolist())
    np.testing.assert_array_equal(sequence[3][0], sequence[3][0])  # a batch is its index's
    assert len(seen) > 250  # drawn at random, not sequential


def test_training_windows_sequential_without_shuffle(jena_csv):
    data = load_data(_spec(jena_csv, shuffle=False))
    reference = _notebook_generator(data.windows.data, LOOKBACK, DELAY, *TRAIN,
                                    batch_size=BATCH, step=STEP)
    sequence = data.windows.sequence("train", BATCH, seed=7)
    for index in range(3):
        np.testing.assert_array_equal(sequence[index][0], next(reference)[0])


def test_reverse_reverses_each_window_in_time(loaded, jena_csv):
    reversed_ = load_data(_spec(jena_csv, reverse=True))
    forward, backward = loaded.windows.sequence("val", BATCH), reversed_.windows.sequence(
        "val", BATCH)
    np.testing.assert_array_equal(backward[2][0], forward[2][0][:, ::-1, :])
    np.testing.assert_array_equal(backward[2][1], forward[2][1])


def test_naive_baseline_is_the_notebooks(loaded, jena_csv):
    # Notebook 6.3, cell 13: evaluate_naive_method over val_steps batches of val_gen.
    val_steps = (VAL[1] - VAL[0] - LOOKBACK) // BATCH
    val_gen = _notebook_generator(_float_data(jena_csv), LOOKBACK, DELAY, *VAL,
                                  batch_size=BATCH, step=STEP)
    batch_maes = []
    for _ in range(4):  # train.validation_steps of the spec
        samples, targets = next(val_gen)
        batch_maes.append(np.mean(np.abs(samples[:, -1, 1] - targets)))
    assert loaded.info["naive_baseline_mae"] == pytest.approx(np.mean(batch_maes), abs=1e-5)
    spec = _spec(jena_csv, train={"validation_steps": None})
    data = load_data(spec)
    assert data.steps(spec.train) == (5, val_steps)
    windows = data.windows
    assert data.info["naive_baseline_mae"] == pytest.approx(windows.naive_mae(BATCH, val_steps))
    assert f"naive baseline val MAE {data.info['naive_baseline_mae']:.4f}" in data.describe()


def test_fit_and_evaluate_arguments(loaded):
    spec = _spec()
    fit = loaded.fit_args(spec.train)
    assert fit["steps_per_epoch"] == 5 and fit["validation_steps"] == 4
    assert fit["x"].num_batches is None and fit["validation_data"].num_batches is None
    assert loaded.sample_counts(spec.train) == (5 * BATCH, 4 * BATCH)
    # The notebook's test_steps: (len(float_data) - 300001 - lookback) // batch_size.
    steps = (ROWS - TEST[0] - LOOKBACK) // BATCH
    evaluate = loaded.evaluate_args(BATCH)
    assert evaluate["steps"] == steps and evaluate["x"].num_batches == steps
    assert loaded.test_samples(BATCH) == steps * BATCH
    assert loaded.x_train_shape == [TRAIN[1] - LOOKBACK, LOOKBACK // STEP, 14]
    assert loaded.generator and loaded.validation == "generator"
    rows = {r["check"]: r for r in check_data(spec, loaded)}
    assert all(r["ok"] for r in rows.values())
    assert rows["padding side"]["problem"] == "not applicable"
    assert rows["finite values"]["problem"] is None
    assert rows["row ranges inside the file"]["problem"] is None


def test_training_seed_comes_from_numpy_so_seeded_runs_repeat(loaded):
    spec = _spec()
    np.random.seed(3)
    a = loaded.fit_args(spec.train)["x"][0][0]
    np.random.seed(3)
    b = loaded.fit_args(spec.train)["x"][0][0]
    np.testing.assert_array_equal(a, b)


# --- finding the file --------------------------------------------------------------------------


def test_missing_file_names_it_and_where_to_get_it(tmp_path, monkeypatch):
    monkeypatch.delenv(JENA_ENV, raising=False)
    monkeypatch.delenv("HARNESS_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as exc:
        load_data(_spec())
    msg = str(exc.value)
    assert msg.startswith("jena_climate_2009_2016.csv: no such file (looked at "
                          "jena_climate_2009_2016.csv (the working directory)); download "
                          f"{JENA_URL}, unzip it, and pass --data PATH (or set {JENA_ENV}")
    assert "\n" not in msg


def test_file_is_found_by_option_environment_data_dir_and_working_directory(
        jena_csv, tmp_path, monkeypatch):
    monkeypatch.delenv(JENA_ENV, raising=False)
    monkeypatch.delenv("HARNESS_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert load_data(_spec(), jena_csv).source == f"file:{jena_csv}"  # --data
    monkeypatch.setenv("HARNESS_DATA_DIR", str(jena_csv.parent))
    assert load_data(_spec()).source == f"file:{jena_csv.parent / jena_csv.name}"
    monkeypatch.setenv(JENA_ENV, str(jena_csv))
    assert load_data(_spec()).source == f"file:{jena_csv}"
    monkeypatch.delenv(JENA_ENV)
    monkeypatch.delenv("HARNESS_DATA_DIR")
    (tmp_path / jena_csv.name).symlink_to(jena_csv)
    assert load_data(_spec()).source == f"file:{jena_csv.name}"


# --- bad files: one line naming the file, the line, the column -----------------------------


# Ranges that fit the 40 rows of tests/data/jena/short.csv.
SMALL = {"lookback": 6, "step": 2, "delay": 2, "train_rows": [0, 20], "val_rows": [21, 29],
         "test_rows": [28, None]}


def _small(name, **data):
    return _spec(DATA / "jena" / name, train={"batch_size": 2}, timesteps=3,
                 **{**SMALL, **data})


def test_short_file_passes_with_small_ranges():
    spec = _small("short.csv")
    assert all(r["ok"] for r in check_data(spec, load_data(spec)))


@pytest.mark.parametrize(("name", "message"), [
    ("value_not_a_number.csv",
     'value_not_a_number.csv line 4, column 6 ("rh (%)"): \'n/a\' is not a number'),
    ("field_missing.csv", "field_missing.csv line 6: 14 fields, expected 15 (the header's "
                          "columns)"),
])
def test_unreadable_rows(name, message):
    with pytest.raises(DataError) as exc:
        load_data(_small(name))
    assert str(exc.value) == f"{DATA / 'jena' / name} line {message.split(' line ', 1)[1]}"


def test_zipped_or_other_archive_is_named(jena_csv, tiny_archive, tmp_path):
    import zipfile

    zipped = tmp_path / "jena_climate_2009_2016.csv.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        z.write(jena_csv, jena_csv.name)
    with pytest.raises(DataError, match=r"csv.zip: a zip archive, not the CSV: unzip it"):
        load_data(_spec(), zipped)
    with pytest.raises(DataError, match=r"aclImdb_tiny.tar.gz: a gzip archive, not a CSV"):
        load_data(_spec(), tiny_archive)


@pytest.mark.parametrize(("name", "data", "message"), [
    ("header_wrong.csv", {},
     "header_wrong.csv line 1: columns differ from the Jena climate layout (missing 'T (degC)'; "
     "unexpected 'Temp (degC)'); {file} line 1: no column 'T (degC)' to predict (data.target)"),
    ("nan_value.csv", {}, 'nan_value.csv line 8, column "T (degC)": nan is not a finite number'),
    ("short.csv", {"val_rows": [21, 100]},
     "short.csv has 40 rows (lines 2-41); data.val_rows [21, 100] needs rows up to 101 (its "
     "last window end + delay 2)"),
    ("short.csv", {"test_rows": [36, None]},
     "data.test_rows [36, null] holds no window of {file} (40 rows): its first window ends at "
     "row 42 (min + lookback 6), not before its max 37"),
])
def test_data_contract_names_the_file_and_line(name, data, message):
    spec = _small(name, **data)
    with pytest.raises(DataError) as exc:
        check_data(spec, load_data(spec))
    file = DATA / "jena" / name
    msg = str(exc.value)
    assert msg.startswith("jena_tiny.yaml: data contract: ") and "\n" not in msg
    assert message.format(file=file) in msg
    assert str(file) in msg


# --- harness run ----------------------------------------------------------------------------


def _write_spec(tmp_path, jena_csv) -> Path:
    spec = _spec(jena_csv)
    doc = spec.model_dump(mode="json", exclude_unset=True)
    path = tmp_path / "jena_tiny.yaml"
    path.write_text(json.dumps(doc))  # JSON is YAML
    return path


def test_run_trains_on_generated_batches(harness, jena_csv, tmp_path):
    spec = _write_spec(tmp_path, jena_csv)
    result = harness("run", spec, "--out", tmp_path / "out", "--mode", "default")
    assert result.code == 0, result.err
    assert "naive baseline val MAE" in result.out
    doc = json.loads((tmp_path / "out" / "jena_tiny" / "results.json").read_text())
    data = doc["data"]
    assert data["dataset"] == "jena_climate" and data["validation"] == "generator"
    assert data["train_samples"] == 5 * BATCH and data["val_samples"] == 4 * BATCH
    assert data["naive_baseline_mae"] > 0
    assert doc["test"]["samples"] == (ROWS - TEST[0] - LOOKBACK) // BATCH * BATCH
    assert len(doc["history"]["val_loss"]) == 1


def test_run_without_the_file_ends_with_one_line(harness, tmp_path, monkeypatch):
    monkeypatch.delenv(JENA_ENV, raising=False)
    monkeypatch.delenv("HARNESS_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    spec = _write_spec(tmp_path, "jena_climate_2009_2016.csv")
    result = harness("run", spec, "--out", tmp_path / "out")
    assert result.code == 1
    assert result.error.startswith("error: jena_climate_2009_2016.csv: no such file")
    assert JENA_URL in result.error and not (tmp_path / "out").exists()


def test_the_main_job_skips_a_spec_whose_file_is_missing(harness, tmp_path, monkeypatch):
    # tox -e reproduce: the other specs go on; the skipped one says what it needs and where.
    monkeypatch.delenv(JENA_ENV, raising=False)
    monkeypatch.delenv("HARNESS_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    spec = _write_spec(tmp_path, "jena_climate_2009_2016.csv")
    result = harness("run", spec, "--out", tmp_path / "out", "--skip-missing-data")
    assert result.code == 0, result.err
    assert (f"skipped jena_tiny ({spec}): verified (141 params), not trained: "
            "jena_climate_2009_2016.csv: no such file" in result.out) and JENA_URL in result.out
    assert "skipped (data not on this machine): jena_tiny" in result.out


def test_a_skipped_spec_must_still_verify(harness, tmp_path, monkeypatch):
    monkeypatch.delenv(JENA_ENV, raising=False)
    monkeypatch.delenv("HARNESS_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    doc = _spec("jena_climate_2009_2016.csv").model_dump(mode="json", exclude_unset=True)
    doc["model"]["expect"] = {"total_params": 5}
    path = tmp_path / "jena_wrong.yaml"
    path.write_text(json.dumps(doc))
    result = harness("run", path, "--out", tmp_path / "out", "--skip-missing-data")
    assert result.code == 1 and "skipped jena_tiny" not in result.out
    assert "model.expect.total_params: expected 5, built 141" in result.error


def test_train_samples_is_refused_for_a_generator(harness, jena_csv, tmp_path):
    spec = _write_spec(tmp_path, jena_csv)
    result = harness("run", spec, "--out", tmp_path / "out", "--train-samples", "10")
    assert result.code == 2
    assert result.error == (f"error: --train-samples 10: file:{jena_csv} is read as generated "
                            "batches (jena_climate), not arrays; leave the option out (set "
                            "train.steps_per_epoch / validation_steps in the spec instead)")


def test_a_relative_file_is_found_beside_the_spec(jena_csv, tmp_path, monkeypatch):
    monkeypatch.delenv(JENA_ENV, raising=False)
    monkeypatch.delenv("HARNESS_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)  # not the CSV's folder
    doc = _spec(jena_csv.name).model_dump(mode="json", exclude_unset=True)
    spec = parse_spec(doc, str(jena_csv.parent / "jena_tiny.yaml"))
    assert load_data(spec).source == f"file:{jena_csv}"
