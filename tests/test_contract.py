"""harness.contract: the data contract catches what training would silently get wrong."""

from __future__ import annotations

import numpy as np
import pytest
from support import ROOT, SPECS

from harness.contract import CHECKS, check_data
from harness.data import ImdbData
from harness.errors import DataError
from harness.spec import load_spec, parse_spec


def _spec(**data):
    doc = load_spec(SPECS / "good_tiny.yaml").model_dump(mode="json", exclude_unset=True)
    doc["data"].update(data)
    return parse_spec(doc, "tiny.yaml")


def _data(x_train, y_train=None, x_test=None, y_test=None, representation="sequences"):
    x_train = np.asarray(x_train, dtype=np.int32)
    y_train = np.asarray([0, 1] * (len(x_train) // 2) if y_train is None else y_train, np.float32)
    return ImdbData(x_train, y_train, x_train if x_test is None else np.asarray(x_test),
                    y_train if y_test is None else np.asarray(y_test, np.float32),
                    source="test", checksum=None, info={"representation": representation})


FRONT = [[0, 0, 0, 0, 1, 5, 6, 7], [0, 0, 0, 1, 4, 4, 6, 8]]
BACK = [[1, 5, 6, 7, 0, 0, 0, 0], [1, 4, 4, 6, 8, 0, 0, 0]]


def test_front_padded_data_passes():
    rows = check_data(_spec(), _data(FRONT))
    assert [r["ok"] for r in rows] == [True] * len(CHECKS)
    # The timeseries and arrays checks do not apply to reviews, and say so.
    assert {r["check"]: r["problem"] for r in rows if r["problem"]} == {
        "finite values": "not applicable", "expected columns": "not applicable",
        "row ranges inside the file": "not applicable"}


def test_checks_that_do_not_apply_say_so():
    doc = load_spec(ROOT / "specs" / "imdb_dense_baseline.yaml")
    multi_hot = np.zeros((2, 10000), np.float32)
    multi_hot[:, [1, 5]] = 1
    data = ImdbData(multi_hot, np.array([0, 1], np.float32), multi_hot,
                    np.array([0, 1], np.float32), "test", None,
                    {"representation": "multi_hot", "sliced": True})
    rows = {r["check"]: r for r in check_data(doc, data)}
    assert rows["padding side"] == {"check": "padding side", "ok": True,
                                    "problem": "not applicable"}
    assert rows["shapes"]["problem"] is None


def test_out_of_range_token_names_the_index_and_the_layer():
    bad = [row[:] for row in FRONT]
    bad[1][5] = 20  # input_dim is 20
    with pytest.raises(DataError, match=r"x_train\[1\] holds token index 20 >= model.layers\[0\] "
                       r"\(Embedding\) input_dim 20"):
        check_data(_spec(), _data(bad))


def test_back_padding_when_front_is_declared():
    with pytest.raises(DataError, match=r"x_train\[0\] is not padded at the front as "
                       r"data.padding: pre declares \(2 rows differ\)"):
        check_data(_spec(), _data(BACK))


def test_front_padding_when_back_is_declared():
    with pytest.raises(DataError, match="not padded at the back"):
        check_data(_spec(padding="post"), _data(FRONT))
    check_data(_spec(padding="post"), _data(BACK))


def test_post_truncation_keeps_the_start_index():
    cut_front = [[5, 6, 7, 8, 9, 10, 11, 12], [1, 4, 4, 6, 8, 0, 0, 0]]
    with pytest.raises(DataError, match=r"x_train\[0\] does not begin with the start index"):
        check_data(_spec(padding="post", truncating="post"), _data(cut_front))


def test_wrong_width():
    with pytest.raises(DataError, match=r"x_train has shape \(2, 7\), expected \(samples, 8\)"):
        check_data(_spec(), _data([r[1:] for r in FRONT]))


def test_declared_full_shape():
    spec = _spec(expect={"x_train_shape": [25000, 8], "x_test_shape": [25000, 8]})
    with pytest.raises(DataError, match=r"data.expect.x_train_shape says \(25000, 8\)"):
        check_data(spec, _data(FRONT))


def test_labels_must_be_binary_and_balanced():
    with pytest.raises(DataError, match=r"labels of x_train must be 0 or 1, got \[0.0, 2.0\]"):
        check_data(_spec(), _data(FRONT, y_train=[0, 2]))
    many = FRONT * 100
    with pytest.raises(DataError, match=r"labels of x_train are unbalanced: 100.0% positive "
                                         r"\(expected 50% \+/- 14.1% for 200 labels\)"):
        check_data(_spec(), _data(many, y_train=[1] * 200))


@pytest.mark.parametrize(("n", "positive", "ok"), [
    (200, 115, True),      # 57.5%: the first 200 training reviews of the real set
    (200, 130, False),     # 65%: beyond 4 standard errors (14.1 points)
    (10_000, 5_400, True),  # 54%: within the 5-point floor
    (10_000, 5_600, False),
])
def test_a_slice_may_lean_as_far_as_a_fair_sample_of_its_size(n, positive, ok):
    from harness.contract import labels

    y = np.array([1.0] * positive + [0.0] * (n - positive), dtype="float32")
    data = ImdbData(x_train=np.zeros((n, 1)), y_train=y, x_test=np.zeros((0, 1)),
                    y_test=np.zeros(0, dtype="float32"), source="hand-made", checksum=None)
    assert (labels(None, data) is None) == ok


def test_every_problem_is_listed():
    bad = [row[:] for row in BACK]
    bad[0][0] = 99
    with pytest.raises(DataError) as exc:
        check_data(_spec(), _data(bad, y_train=[0, 3]))
    msg = str(exc.value)
    assert msg.startswith("tiny.yaml: data contract: ")
    assert "token index 99" in msg and "not padded at the front" in msg and "0 or 1" in msg


def test_real_reviews_meet_the_books_contract(real_archive):
    from harness.data import load_imdb

    spec = load_spec(ROOT / "specs" / "imdb_lstm.yaml")
    rows = check_data(spec, load_imdb(spec.data, real_archive))
    assert all(r["ok"] for r in rows)


def test_reversed_reviews_end_with_their_start_index():
    reversed_rows = [[7, 6, 5, 1, 0, 0, 0, 0], [8, 6, 4, 4, 1, 0, 0, 0]]
    rows = check_data(_spec(padding="post", truncating="post", reverse=True),
                      _data(reversed_rows))
    assert all(r["ok"] for r in rows)


def test_a_factory_model_has_no_embedding_to_check():
    doc = {"name": "factory", "model": {"factory": "tiny_models:two_towers"},
           "data": {"dataset": "arrays", "file": "x.npz"},
           "train": {"epochs": 1, "batch_size": 2}}
    spec = parse_spec(doc, "factory.yaml")
    x = np.zeros((4, 5), np.float32)
    y = np.array([0, 1, 0, 1], np.float32)
    data = ImdbData(x, y, x, y, "test", None, {}, dataset="arrays", unit="samples")
    rows = {r["check"]: r["problem"] for r in check_data(spec, data)}
    assert rows["token indices < Embedding input_dim"] == "not applicable"
    assert rows["shapes"] is None and rows["finite values"] is None
