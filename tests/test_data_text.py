"""harness.data.text and harness.data.glove: notebook 6.1's tokenized reviews and GloVe vectors.

The tiny reviews (tests/data/aclImdb_tiny) read in the notebook's order, train/neg then
train/pos, by file name:

    neg/2_1.txt  "A bad movie."
    neg/3_3.txt  "Bad, boring and dull. Don't watch it."
    pos/0_9.txt  "A good movie. Good acting!"
    pos/1_8.txt  "Good fun, good cast.<br /><br />A fine movie."

Keras 2's Tokenizer keeps the apostrophe of "don't" and turns "<br />" into the word "br". Counts
in first-seen order: a 3, bad 2, movie 3, boring, and, dull, don't, watch, it, good 4, acting,
fun, cast, br 2, fine. Ranked by count, ties in first-seen order: good 1, a 2, movie 3, bad 4,
br 5, boring 6, and 7, dull 8, don't 9, watch 10, it 11, acting 12, fun 13, cast 14, fine 15.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from support import DATA, ROOT

from harness.contract import check_data
from harness.data import (
    GLOVE_ENV,
    Tokenizer,
    apply_pretrained,
    embedding_matrix,
    load_data,
    load_imdb_text,
    pretrained_weights,
    text_to_word_sequence,
)
from harness.errors import DataError
from harness.spec import ImdbTextDataSpec, load_spec, parse_spec

GLOVE = DATA / "glove"
WORD_INDEX = {"good": 1, "a": 2, "movie": 3, "bad": 4, "br": 5, "boring": 6, "and": 7,
              "dull": 8, "don't": 9, "watch": 10, "it": 11, "acting": 12, "fun": 13,
              "cast": 14, "fine": 15}
# Training reviews in file order, all words kept (num_words 100), and with num_words 8.
TRAIN = [[2, 4, 3], [4, 6, 7, 8, 9, 10, 11], [2, 1, 3, 1, 12], [1, 13, 1, 14, 5, 5, 2, 15, 3]]
TRAIN_8 = [[2, 4, 3], [4, 6, 7], [2, 1, 3, 1], [1, 1, 5, 5, 2, 3]]
# Test reviews, neg then pos by file name: "Bad movie, bad acting.", "Dull.", "Good, fine
# acting.", "Superb cinema." (no word seen in training: nothing left).
TEST = [[4, 3, 4, 12], [8], [1, 15, 12], []]


def _spec(**kw) -> ImdbTextDataSpec:
    return ImdbTextDataSpec(**{"dataset": "imdb_text", "num_words": 100, "maxlen": 10,
                               "train_samples": 2, "validation_samples": 2, **kw})


def _unpadded(x) -> list[list[int]]:
    return [[int(v) for v in row if v] for row in x]


def test_text_to_word_sequence_is_keras2s():
    assert text_to_word_sequence("Good fun,<br /><br />GOOD cast. Don't!\tIt's\n5/10") == [
        "good", "fun", "br", "br", "good", "cast", "don't", "it's", "5", "10"]
    # Only the filter characters split; other whitespace stays inside a word, as in Keras 2.
    assert text_to_word_sequence("a\rb  c\u00a0d") == ["a\rb", "c\u00a0d"]
    assert text_to_word_sequence("...") == []


def test_tokenizer_ranks_by_count_then_first_seen():
    tokenizer = Tokenizer(num_words=3)
    tokenizer.fit_on_texts(["b a", "c b a", "d c"])  # a 2, b 2, c 2, d 1: ties first-seen
    assert tokenizer.word_index == {"b": 1, "a": 2, "c": 3, "d": 4}
    # num_words=3 keeps indices 1 and 2 only; the others are dropped, not made OOV.
    assert tokenizer.texts_to_sequences(["d c b a x"]) == [[1, 2]]
    assert Tokenizer().texts_to_sequences(["x"]) == [[]]


def test_tiny_reviews_tokenized_as_the_notebook(tiny_folder):
    data = load_imdb_text(_spec(train_samples=3, validation_samples=1), tiny_folder)
    assert data.word_index == WORD_INDEX
    # Shuffled with RandomState(0): train + validation hold every training review once.
    order = np.arange(4)
    np.random.RandomState(0).shuffle(order)
    rows = _unpadded(np.concatenate([data.x_train, data.x_val]))
    assert rows == [TRAIN[i] for i in order]
    labels = np.concatenate([data.y_train, data.y_val]).tolist()
    assert labels == [[0, 0, 1, 1][i] for i in order]
    assert _unpadded(data.x_test) == TEST and data.y_test.tolist() == [0, 0, 1, 1]
    assert data.x_train.shape == (3, 10) and data.x_val.shape == (1, 10)
    assert data.x_train.dtype == np.int32 and data.validation == "arrays"
    assert data.source == f"folder:{tiny_folder}" and data.dataset == "imdb_text"


def test_num_words_drops_rarer_words(tiny_folder):
    data = load_imdb_text(_spec(num_words=8, train_samples=3, validation_samples=1),
                          tiny_folder)
    order = np.arange(4)
    np.random.RandomState(0).shuffle(order)
    assert _unpadded(np.concatenate([data.x_train, data.x_val])) == [TRAIN_8[i] for i in order]
    assert _unpadded(data.x_test) == [[4, 3, 4], [], [1], []]
    assert data.word_index == WORD_INDEX  # the index itself is whole, as Keras's


def test_padding_truncating_and_test_order(tiny_folder):
    data = load_imdb_text(_spec(maxlen=4, train_samples=1, validation_samples=3), tiny_folder)
    assert data.x_test.tolist() == [[4, 3, 4, 12], [0, 0, 0, 8], [0, 1, 15, 12], [0, 0, 0, 0]]
    post = load_imdb_text(_spec(maxlen=4, padding="post", truncating="post", train_samples=1,
                                validation_samples=3), tiny_folder)
    assert post.x_test.tolist() == [[4, 3, 4, 12], [8, 0, 0, 0], [1, 15, 12, 0], [0, 0, 0, 0]]
    everything = np.concatenate([post.x_train, post.x_val]).tolist()
    assert [1, 13, 1, 14] in everything  # 9 words cut to their first 4


def test_more_samples_than_reviews_is_one_line(tiny_folder):
    with pytest.raises(DataError, match=r"data.train_samples 200 \+ data.validation_samples "
                       r"10000 = 10,200 is more than the 4 training reviews; ask for fewer"):
        load_imdb_text(_spec(train_samples=200, validation_samples=10000), tiny_folder)


def test_no_path_names_the_archive(monkeypatch):
    monkeypatch.delenv("HARNESS_IMDB_DATA", raising=False)
    with pytest.raises(DataError, match=r"^no IMDB reviews: dataset imdb_text tokenizes the raw "
                       r"text.*pass --data PATH \(or set HARNESS_IMDB_DATA\)$"):
        load_imdb_text(_spec())


def test_archive_and_cache_give_the_same_data(tiny_archive, tiny_folder, tmp_path,
                                              monkeypatch):
    cache = tmp_path / "cache"
    first = load_imdb_text(_spec(), tiny_archive, cache_dir=cache)
    assert len(list(cache.glob("imdb_text-*.npz"))) == 1
    import harness.data.reviews as reviews

    def no_reading(path):
        raise AssertionError("the archive was read again instead of the cache")

    monkeypatch.setattr(reviews, "read_reviews", no_reading)
    again = load_imdb_text(_spec(), tiny_archive, cache_dir=cache)
    np.testing.assert_array_equal(first.x_train, again.x_train)
    np.testing.assert_array_equal(first.x_test, again.x_test)
    assert again.word_index == first.word_index == WORD_INDEX
    monkeypatch.undo()
    folder = load_imdb_text(_spec(), tiny_folder, cache_dir=tmp_path / "other")
    np.testing.assert_array_equal(first.x_val, folder.x_val)


def test_contract_of_text_data(tiny_folder):
    spec = load_spec(DATA / "specs" / "good_text_glove_tiny.yaml")
    data = load_data(spec, tiny_folder)
    rows = {r["check"]: r for r in check_data(spec, data)}
    assert all(r["ok"] for r in rows.values())
    assert rows["token indices < Embedding input_dim"]["problem"] is None
    assert rows["padding side"]["problem"] is None
    assert rows["finite values"]["problem"] == "not applicable"


def test_validation_samples_and_validation_split_conflict(tiny_folder):
    doc = load_spec(DATA / "specs" / "good_text_glove_tiny.yaml").model_dump(
        mode="json", exclude_unset=True)
    doc["train"]["validation_split"] = 0.5
    spec = parse_spec(doc, "text.yaml")
    with pytest.raises(DataError, match=r"^text.yaml: data.validation_samples and "
                       r"train.validation_split 0.5 both say what to validate on"):
        load_data(spec, tiny_folder)


@pytest.mark.slow
def test_real_reviews_give_the_notebooks_vocabulary(real_archive):
    # Notebook 6.1 printed "Found 88582 unique tokens." and data tensor (25000, 100).
    spec = load_spec(ROOT / "specs" / "imdb_text_glove_frozen.yaml")
    data = load_data(spec, real_archive)
    assert len(data.word_index) == 88582
    assert data.x_train.shape == (200, 100) and data.x_val.shape == (10000, 100)
    assert data.x_test.shape == (25000, 100) and int(data.x_train.max()) < 10000


# --- GloVe -------------------------------------------------------------------------------------


def test_embedding_matrix_is_the_notebooks():
    matrix, info = embedding_matrix(GLOVE / "glove.tiny.4d.txt", WORD_INDEX, 10, 4)
    expected = np.zeros((10, 4), np.float32)
    expected[1] = [0.1, 0.2, 0.3, 0.4]      # good
    expected[2] = [1, 1, 1, 1]              # a
    expected[3] = [-0.5, 0.5, -0.5, 0.5]    # movie
    expected[4] = [-1, -2, -3, -4]          # bad
    expected[6] = [0.25, 0.25, 0.25, 0.25]  # boring; br (5) has no vector: stays 0
    np.testing.assert_array_equal(matrix, expected)
    assert info["rows_filled"] == 5 and info["words"] == 6 and info["rows_wanted"] == 9
    # input_dim 5: boring (6) is left out, as the notebook's `if i < max_words`.
    small, _ = embedding_matrix(GLOVE / "glove.tiny.4d.txt", WORD_INDEX, 5, 4)
    np.testing.assert_array_equal(small, expected[:5])


@pytest.mark.parametrize(("name", "message"), [
    ("wrong_dim.3d.txt", "wrong_dim.3d.txt line 1: 3 values after the word, expected 4 (the "
                         "Embedding's output_dim); the file holds 3-dimensional vectors: use "
                         "the 4d file or output_dim 3"),
    ("ragged.txt", "ragged.txt line 2: 3 values after the word, expected 4 (the Embedding's "
                   "output_dim)"),
    ("not_a_number.txt", "not_a_number.txt line 3: 'one' is not a number"),
    ("not_utf8.txt", "not_utf8.txt line 2: not UTF-8 text (byte 3); GloVe files are UTF-8: "
                     "download it again"),
])
def test_bad_glove_files(name, message):
    with pytest.raises(DataError) as exc:
        embedding_matrix(GLOVE / name, WORD_INDEX, 10, 4)
    assert str(exc.value) == f"{GLOVE}/{message}"


def test_missing_glove_file_names_where_to_get_it(tiny_folder, tmp_path, monkeypatch):
    monkeypatch.delenv(GLOVE_ENV, raising=False)
    monkeypatch.delenv("HARNESS_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    spec = load_spec(DATA / "specs" / "good_text_glove_tiny.yaml")
    with pytest.raises(DataError) as exc:
        pretrained_weights(spec, load_data(spec, tiny_folder))
    assert str(exc.value) == (
        f"glove.tiny.4d.txt: no such file (looked at {DATA / 'specs' / 'glove.tiny.4d.txt'} "
        "(beside the spec), glove.tiny.4d.txt (the working directory)); "
        "download glove.6B.zip from https://nlp.stanford.edu/projects/glove/, unzip it, and set "
        "HARNESS_GLOVE to the file (or HARNESS_DATA_DIR to its folder)")


def test_glove_file_is_found_by_environment(tiny_folder, monkeypatch):
    spec = load_spec(DATA / "specs" / "good_text_glove_tiny.yaml")
    data = load_data(spec, tiny_folder)
    monkeypatch.delenv(GLOVE_ENV, raising=False)
    monkeypatch.setenv("HARNESS_DATA_DIR", str(GLOVE.parent))
    with pytest.raises(DataError, match="no such file"):  # the data dir holds glove/, not it
        pretrained_weights(spec, data)
    monkeypatch.setenv("HARNESS_DATA_DIR", str(GLOVE))
    (name, (matrix, info)), = pretrained_weights(spec, data).items()
    assert name == "embedding" and info["file"] == str(GLOVE / "glove.tiny.4d.txt")
    monkeypatch.delenv("HARNESS_DATA_DIR")
    monkeypatch.setenv(GLOVE_ENV, str(GLOVE / "glove.tiny.4d.txt"))
    assert pretrained_weights(spec, data)["embedding"][1]["rows_filled"] == 5


def test_pretrained_vectors_follow_the_index_of_the_data(tiny_folder, monkeypatch):
    monkeypatch.setenv(GLOVE_ENV, str(GLOVE / "glove.tiny.4d.txt"))
    doc = load_spec(DATA / "specs" / "good_text_glove_tiny.yaml").model_dump(
        mode="json", exclude_unset=True)
    doc["data"] = {"dataset": "imdb", "num_words": 10, "maxlen": 8, "validation_samples": 2}
    spec = parse_spec(doc, "glove.yaml")
    data = load_data(spec, tiny_folder)
    # dataset imdb carries its word index too (rank r -> r + 3): good 4, a 5, movie 6, bad 7
    # get their vectors; boring (10) is past input_dim, rows 0-3 (pad, start, OOV, -) stay 0
    matrix, info = pretrained_weights(spec, data)["embedding"]
    assert info["rows_filled"] == 4
    np.testing.assert_allclose(matrix[4], [0.1, 0.2, 0.3, 0.4], rtol=1e-6)
    assert not matrix[:4].any()
    # a source without a word index cannot look vectors up by word
    from harness.data import Dataset

    arrays = Dataset(x_train=data.x_train, y_train=data.y_train, x_test=data.x_test,
                     y_test=data.y_test, source="file:x.npz", checksum=None, dataset="arrays")
    with pytest.raises(DataError, match=r"^glove.yaml: model.layers\[0\].pretrained: GloVe "
                       r"vectors are looked up by word, and data.dataset arrays has no word "
                       r"index"):
        pretrained_weights(spec, arrays)


def test_decode_gives_the_tokenized_words_back(tiny_folder):
    data = load_imdb_text(_spec(train_samples=3, validation_samples=1), tiny_folder)
    rows = [data.decode(row) for row in data.x_test]  # neg then pos, by file name
    assert rows == ["bad movie bad acting", "dull", "good fine acting", ""]
    assert data.x_dtype == "int32"
    cut = load_imdb_text(_spec(num_words=8, train_samples=3, validation_samples=1), tiny_folder)
    # the Tokenizer drops rarer words (no out-of-vocabulary index): they are simply gone
    assert [cut.decode(row) for row in cut.x_test] == ["bad movie bad", "", "good", ""]


def test_vectors_are_set_on_the_model_that_trains(tiny_folder, monkeypatch):
    from harness.build import CompiledModels

    monkeypatch.setenv(GLOVE_ENV, str(GLOVE / "glove.tiny.4d.txt"))
    spec = load_spec(DATA / "specs" / "good_text_glove_tiny.yaml")
    weights = pretrained_weights(spec, load_data(spec, tiny_folder))
    models = CompiledModels()
    for seed in (0, 1):  # the second reuses the compiled model of the first
        model, _ = models.fresh(spec, seed)
        apply_pretrained(model, weights)
        np.testing.assert_array_equal(model.get_layer("embedding").get_weights()[0],
                                      weights["embedding"][0])


def test_run_with_glove_records_the_vectors(harness, tiny_folder, tmp_path, monkeypatch):
    monkeypatch.setenv(GLOVE_ENV, str(GLOVE / "glove.tiny.4d.txt"))
    result = harness("run", DATA / "specs" / "good_text_glove_tiny.yaml", "--data", tiny_folder,
                     "--out", tmp_path / "out", "--mode", "default")
    assert result.code == 0, result.err
    assert "x_train (2, 8), x_val (2, 8), x_test (4, 8)" in result.out
    doc = json.loads((tmp_path / "out" / "text_glove_tiny" / "results.json").read_text())
    assert doc["data"]["pretrained"]["embedding"]["rows_filled"] == 5
    assert doc["data"]["validation"] == "arrays" and doc["data"]["val_samples"] == 2
