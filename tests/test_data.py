"""harness.data: keras.datasets.imdb conventions on a hand-written archive, and bad inputs."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from support import SPECS, TINY

from harness.data import DATA_ENV, load_imdb, load_imdb_test_head, tokenize
from harness.errors import DataError
from harness.spec import ImdbDataSpec

# Training counts in tests/data/aclImdb_tiny: good 4, a 3, movie 3, bad 2, then one each,
# ranked alphabetically: acting, and, boring, cast, don't, dull, fine, fun, it, watch.
# Index = rank + 3 (index_from=3): good 4, a 5, movie 6, bad 7, acting 8, and 9, boring 10,
# cast 11, don't 12, dull 13, fine 14, fun 15, it 16, watch 17. 1 = start, 2 = out of vocabulary.
TRAIN = {
    (1, 6): [1, 5, 4, 6, 4, 8],  # "A good movie. Good acting!"
    (1, 8): [1, 4, 15, 4, 11, 5, 14, 6],  # "Good fun, good cast.<br /><br />A fine movie."
    (0, 4): [1, 5, 7, 6],  # "A bad movie."
    (0, 8): [1, 7, 10, 9, 13, 12, 17, 16],  # "Bad, boring and dull. Don't watch it."
}
TEST = {
    (1, 4): [1, 4, 14, 8],  # "Good, fine acting."
    (1, 3): [1, 2, 2],  # "Superb cinema." (words never seen in training)
    (0, 5): [1, 7, 6, 7, 8],  # "Bad movie, bad acting."
    (0, 2): [1, 13],  # "Dull."
}


def _spec(**kw) -> ImdbDataSpec:
    return ImdbDataSpec(**{"num_words": 100, "maxlen": 10, **kw})


def _rows(x, y) -> dict:
    """{(label, length): sequence without padding} for every row."""
    out = {}
    for row, label in zip(x, y, strict=True):
        seq = [int(v) for v in row if v != 0]
        out[(int(label), len(seq))] = seq
    return out


def test_tokenize_drops_html_and_case():
    assert tokenize("Good fun,<br /><br />GOOD cast. Don't!") == ["good", "fun", "good", "cast",
                                                                    "don't"]


@pytest.mark.parametrize("source", ["tiny_folder", "tiny_archive"])
def test_index_conventions(source, request):
    data = load_imdb(_spec(), request.getfixturevalue(source))
    assert _rows(data.x_train, data.y_train) == TRAIN
    assert _rows(data.x_test, data.y_test) == TEST
    assert data.x_train.dtype == np.int32 and data.x_train.shape == (4, 10)
    assert sorted(data.y_train.tolist()) == [0, 0, 1, 1]


def test_num_words_cut_makes_rare_words_out_of_vocabulary(tiny_folder):
    data = load_imdb(_spec(num_words=8), tiny_folder)
    rows = _rows(data.x_test, data.y_test)
    assert rows[(1, 4)] == [1, 4, 2, 2]  # fine (14) and acting (8) are >= num_words
    assert rows[(0, 5)] == [1, 7, 6, 7, 2]
    assert data.x_train.max() < 8


def test_padding_and_truncating_at_the_front_by_default(tiny_folder):
    data = load_imdb(_spec(maxlen=5), tiny_folder)
    rows = {tuple(r) for r in data.x_train.tolist()}
    assert (0, 0, 1, 5, 7, 6)[-5:] in rows  # "A bad movie." padded at the front
    assert (4, 11, 5, 14, 6) in rows  # 8 indices truncated to their last 5


def test_padding_at_the_back_when_declared(tiny_folder):
    data = load_imdb(_spec(maxlen=6, padding="post", truncating="post"), tiny_folder)
    rows = {tuple(r) for r in data.x_train.tolist()}
    assert (1, 5, 7, 6, 0, 0) in rows
    assert (1, 4, 15, 4, 11, 5) in rows


def test_multi_hot_representation(tiny_folder):
    data = load_imdb(_spec(num_words=20, representation="multi_hot"), tiny_folder)
    assert data.x_train.shape == (4, 20) and data.x_train.dtype == np.float32
    for row, label in zip(data.x_train, data.y_train, strict=True):
        words = set(np.flatnonzero(row).tolist())
        assert words in [set(s) for (lab, _), s in TRAIN.items() if lab == label]


@pytest.mark.parametrize("representation", ["sequences", "multi_hot"])
def test_test_head_equals_the_first_rows_of_load_imdb(tiny_folder, representation):
    spec = _spec(representation=representation)
    full = load_imdb(spec, tiny_folder)
    x, y = load_imdb_test_head(spec, tiny_folder, 3)
    assert x.dtype == full.x_test.dtype and y.dtype == full.y_test.dtype
    np.testing.assert_array_equal(x, full.x_test[:3])
    np.testing.assert_array_equal(y, full.y_test[:3])


def test_shuffle_is_fixed(tiny_folder):
    a = load_imdb(_spec(), tiny_folder)
    b = load_imdb(_spec(), tiny_folder, cache_dir=None)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)


def test_environment_variable_gives_the_path(tiny_folder, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(tiny_folder))
    assert load_imdb(_spec()).source == f"folder:{tiny_folder}"


# --- options beyond keras.datasets.imdb: reverse, validation_samples, train_samples --------------


def test_reverse_reverses_each_review_before_padding(tiny_folder):
    data = load_imdb(_spec(reverse=True), tiny_folder)
    # Notebook 6.3: x_train = [x[::-1] for x in x_train], then pad_sequences (front padding):
    # the start index now ends each review.
    assert _rows(data.x_train, data.y_train) == {k: v[::-1] for k, v in TRAIN.items()}
    assert data.x_train[0].tolist()[:2] == [0, 0] and data.info["reverse"] is True
    cut = load_imdb(_spec(reverse=True, maxlen=3), tiny_folder)
    # Truncating pre keeps the end of the reversed review: the original's first words.
    assert {tuple(r) for r in cut.x_test.tolist()} >= {(14, 4, 1), (6, 7, 1)}


def test_validation_samples_holds_out_the_first_reviews(tiny_folder):
    full = load_imdb(_spec(), tiny_folder)
    data = load_imdb(_spec(validation_samples=1), tiny_folder)
    # Notebook 3.5: x_val = x_train[:10000]; partial_x_train = x_train[10000:].
    np.testing.assert_array_equal(data.x_val, full.x_train[:1])
    np.testing.assert_array_equal(data.y_val, full.y_train[:1])
    np.testing.assert_array_equal(data.x_train, full.x_train[1:])
    np.testing.assert_array_equal(data.x_test, full.x_test)
    assert data.validation == "arrays"
    capped = load_imdb(_spec(validation_samples=1, train_samples=2), tiny_folder)
    np.testing.assert_array_equal(capped.x_train, full.x_train[1:3])
    with pytest.raises(DataError, match=r"data.validation_samples 4 leaves no training reviews "
                       r"of the 4 there are"):
        load_imdb(_spec(validation_samples=4), tiny_folder)


def test_load_data_reads_imdb_through_the_registry(tiny_folder):
    from harness.data import load_data
    from harness.spec import load_spec

    spec = load_spec(SPECS / "good_tiny.yaml")
    data = load_data(spec, tiny_folder)
    assert data.dataset == "imdb" and data.source == f"folder:{tiny_folder}"
    assert data.x_train.shape == (4, 8) and data.fit_args(spec.train)["validation_split"] == 0.5


# --- cache -------------------------------------------------------------------------------------


def test_second_load_comes_from_the_cache(tiny_archive, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = load_imdb(_spec(), tiny_archive, cache_dir=cache)
    files = list(cache.glob("imdb-*.npz"))
    assert len(files) == 1
    import harness.data.reviews as reviews

    def no_reading(path):
        raise AssertionError("the archive was read again instead of the cache")

    monkeypatch.setattr(reviews, "read_reviews", no_reading)
    second = load_imdb(_spec(), tiny_archive, cache_dir=cache)
    np.testing.assert_array_equal(first.x_train, second.x_train)


def test_corrupt_cache_is_rebuilt(tiny_archive, tmp_path):
    cache = tmp_path / "cache"
    first = load_imdb(_spec(), tiny_archive, cache_dir=cache)
    (cached,) = cache.glob("imdb-*.npz")
    cached.write_bytes(b"not a numpy file")
    again = load_imdb(_spec(), tiny_archive, cache_dir=cache)
    np.testing.assert_array_equal(first.x_train, again.x_train)
    assert cached.stat().st_size > 100  # rewritten


def test_changed_archive_is_not_served_stale(tmp_path):
    folder = tmp_path / "reviews"
    shutil.copytree(TINY, folder)
    cache = tmp_path / "cache"
    before = load_imdb(_spec(), folder, cache_dir=cache)
    (folder / "aclImdb/test/neg/7_4.txt").write_text("Good good good.")
    after = load_imdb(_spec(), folder, cache_dir=cache)
    assert before.checksum != after.checksum
    assert [1, 4, 4, 4] in [[int(v) for v in r if v] for r in after.x_test]


def test_the_cache_folder_is_harness_cache_dir(tiny_folder, tmp_path, monkeypatch):
    from harness.data.cache import cache_root

    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root(None) == tmp_path / "mine"
    assert cache_root(tmp_path / "given") == tmp_path / "given"  # cache_dir= wins over both
    load_imdb(_spec(), tiny_folder)
    assert len(list((tmp_path / "mine").glob("imdb-*.npz"))) == 1
    assert not (tmp_path / "xdg").exists()


@pytest.mark.skipif(sys.platform != "linux", reason="XDG_CACHE_HOME is the Linux convention")
def test_without_harness_cache_dir_the_cache_is_the_users_xdg_cache(tiny_folder, tmp_path,
                                                                     monkeypatch):
    from harness.data.cache import cache_root

    monkeypatch.delenv("HARNESS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root(None) == tmp_path / "xdg" / "keras-harness"
    load_imdb(_spec(), tiny_folder)
    assert len(list((tmp_path / "xdg" / "keras-harness").glob("imdb-*.npz"))) == 1
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root(None) == tmp_path / "home" / ".cache" / "keras-harness"  # as before


# --- bad input ---------------------------------------------------------------------------------


def test_missing_path_names_it_and_both_remedies(tmp_path):
    missing = tmp_path / "nope.tar.gz"
    with pytest.raises(DataError) as exc:
        load_imdb(_spec(), missing)
    msg = str(exc.value)
    assert str(missing) in msg and "no such file" in msg
    assert "--data" in msg and "keras.datasets.imdb" in msg
    assert "\n" not in msg


@pytest.mark.parametrize("content", [b"this is not gzip at all", b"\x1f\x8b\x08\x00garbage"])
def test_corrupt_archive(tmp_path, content):
    bad = tmp_path / "broken.tar.gz"
    bad.write_bytes(content)
    with pytest.raises(DataError, match=r"broken\.tar\.gz: not a readable \.tar\.gz archive"):
        load_imdb(_spec(), bad)


def test_truncated_archive(tiny_archive, tmp_path):
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(tiny_archive.read_bytes()[:300])
    with pytest.raises(DataError, match=r"cut\.tar\.gz: not a readable .*corrupt or truncated"):
        load_imdb(_spec(), cut)


def test_folder_without_the_stanford_layout(tmp_path):
    (tmp_path / "reviews").mkdir()
    (tmp_path / "reviews" / "a.txt").write_text("hello")
    with pytest.raises(DataError, match=r"no reviews in train/pos, train/neg, test/pos, test/neg"):
        load_imdb(_spec(), tmp_path / "reviews")


def test_empty_pos_folder(tmp_path):
    folder = tmp_path / "reviews"
    shutil.copytree(TINY, folder)
    for f in (folder / "aclImdb/train/pos").iterdir():
        f.unlink()
    with pytest.raises(DataError, match=r"no reviews in train/pos"):
        load_imdb(_spec(), folder)


def test_review_that_is_not_utf8(tmp_path):
    folder = tmp_path / "reviews"
    shutil.copytree(TINY, folder)
    (folder / "aclImdb/train/neg/2_1.txt").write_bytes(b"A bad movie \xff\xfe.")
    with pytest.raises(DataError, match=r"train/neg/2_1\.txt: review is not UTF-8"):
        load_imdb(_spec(), folder)


def test_keras_download_failure_names_the_data_option(monkeypatch):
    import keras

    def offline(*a, **k):
        raise OSError("network is unreachable")

    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.setattr(keras.datasets.imdb, "load_data", offline)
    with pytest.raises(DataError, match=r"keras\.datasets\.imdb could not download.*--data"):
        load_imdb(_spec())


# --- odd reviews: encoded, never a crash or a hang ------------------------------------------


@pytest.fixture
def odd_reviews(tmp_path) -> Path:
    """The tiny reviews plus an empty one and one of 100,000 words (both training positives)."""
    folder = tmp_path / "reviews"
    shutil.copytree(TINY, folder)
    (folder / "aclImdb/train/pos/8_10.txt").write_bytes(b"")
    (folder / "aclImdb/train/pos/9_10.txt").write_text(" ".join(["long"] * 100_000))
    return folder


def test_empty_and_100000_word_reviews_are_encoded(odd_reviews):
    data = load_imdb(_spec(maxlen=10), odd_reviews)
    assert data.x_train.shape == (6, 10)
    rows = {tuple(r) for r in data.x_train.tolist()}
    # "long" is now the most frequent training word: rank 1, index 4. The 100,001 indices are cut
    # to the last 10 (truncating pre), the empty review is its start index alone.
    assert (4,) * 10 in rows
    assert (0,) * 9 + (1,) in rows


def test_empty_and_100000_word_reviews_train(odd_reviews, tmp_path, harness):
    result = harness("run", SPECS / "good_tiny.yaml", "--data", odd_reviews, "--out",
                     tmp_path / "out", "--mode", "default", "--epochs", "1")
    assert result.code == 0, result.err
    assert "x_train (6, 8)" in result.out


def test_unclosed_tags_do_not_make_tokenizing_quadratic():
    # 100,000 "<b" without a ">": the tag pattern used to rescan the tail from every "<" (minutes).
    assert tokenize("<b " * 100_000) == ["b"] * 100_000
    assert tokenize("a <br /> b <i>c</i> <d") == ["a", "b", "c", "d"]


# --- the word index and decode: the data says what its indices mean ------------------------------

WORD_INDEX = {"good": 4, "a": 5, "movie": 6, "bad": 7, "acting": 8, "and": 9, "boring": 10,
              "cast": 11, "don't": 12, "dull": 13, "fine": 14, "fun": 15, "it": 16, "watch": 17}


@pytest.mark.parametrize("source", ["tiny_folder", "tiny_archive"])
def test_the_data_carries_its_word_index(source, request):
    path = request.getfixturevalue(source)
    data = load_imdb(_spec(num_words=8), path)
    # every word of the training reviews, rank r -> r + 3, whatever num_words
    assert data.word_index == WORD_INDEX
    again = load_imdb(_spec(), path)  # from the cache
    assert again.word_index == WORD_INDEX


def test_decode_gives_the_words_back_as_the_keras_docs_do(tiny_folder):
    data = load_imdb(_spec(), tiny_folder)
    decoded = sorted(data.decode(row) for row in data.x_train)
    assert decoded == ["? a bad movie", "? a good movie good acting",
                       "? bad boring and dull don't watch it",
                       "? good fun good cast a fine movie"]  # padding dropped, start is "?"
    assert data.decode([1, 7, 2, 2]) == "? bad ? ?"  # out of vocabulary is "?" too
    assert data.decode([0, 0, 1, 4]) == data.decode(np.array([1, 4], dtype=np.int32))


def test_decode_after_the_num_words_cut_and_of_multi_hot_rows(tiny_folder):
    cut = load_imdb(_spec(num_words=8), tiny_folder)
    # "Dull." and "Superb cinema.": dull (13) is >= num_words, superb and cinema never trained
    assert sorted(cut.decode(row) for row in cut.x_test) == [
        "? ?", "? ? ?", "? bad movie bad ?", "? good ? ?"]
    multi = load_imdb(_spec(num_words=20, representation="multi_hot"), tiny_folder)
    # a multi-hot row holds each word once, in index order (most frequent first)
    assert sorted(multi.decode(row) for row in multi.x_train)[0] == "? a movie bad"


def test_x_dtype(tiny_folder):
    assert load_imdb(_spec(), tiny_folder).x_dtype == "int32"
    assert load_imdb(_spec(representation="multi_hot", num_words=20), tiny_folder).x_dtype \
        == "float32"


def test_decode_refuses_what_it_cannot_decode(tiny_folder):
    from harness.data import Dataset

    data = load_imdb(_spec(), tiny_folder)
    with pytest.raises(DataError, match=r"decode takes one row of indices, got an array of "
                                        r"shape \(4, 10\)"):
        data.decode(data.x_train)
    arrays = Dataset(x_train=np.zeros((1, 2)), y_train=None, x_test=np.zeros((1, 2)),
                     y_test=None, source="file:x.npz", checksum=None, dataset="arrays")
    with pytest.raises(DataError, match="data.dataset arrays has no word index"):
        arrays.decode([1, 2])
