"""harness.pytest_plugin: spec files as pytest items, the collection rule, the fixtures.

Each test runs pytest inside pytest (``pytester``) on tiny specs written here: a Dense network
of 22 params (architecture only) and an Embedding network of 101 params trained on the
8-row ``tests/data/arrays/good.npz``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import DATA, ROOT

from harness.pytest_plugin import is_spec_path

pytest_plugins = ["pytester"]


DENSE = """\
name: tiny_dense
model:
  input: {shape: [5], dtype: float32}          # (batch_size, features)
  layers:
    - type: Dense
      units: 3
      activation: relu
      expect: {output_shape: [null, 3], params: PARAMS}     # 5*3 + 3
    - type: Dense
      units: 1
      activation: sigmoid
      expect: {output_shape: [null, 1], params: 4}
  expect: {total_params: 22}
"""

ARRAYS = """\
name: tiny_arrays
model:
  input: {shape: [5], dtype: int32}            # (batch_size, timesteps) word indices
  layers:
    - type: Embedding
      input_dim: 20
      output_dim: 4
      expect: {output_shape: [null, 5, 4], params: 80}
    - type: Flatten
      expect: {output_shape: [null, 20], params: 0}
    - type: Dense
      units: 1
      activation: sigmoid
      expect: {output_shape: [null, 1], params: 21}
  expect: {total_params: 101}
data: {dataset: arrays, file: good.npz}
train: {epochs: 1, batch_size: 2, validation_split: 0.5}
band: BAND
"""
WIDE_BAND = "{metric: best_val_acc, low: 0.0, high: 1.0}"


def dense(params: int = 18) -> str:
    return DENSE.replace("PARAMS", str(params))


def arrays(band: str = WIDE_BAND) -> str:
    return ARRAYS.replace("BAND", band)


@pytest.fixture(scope="module", autouse=True)
def _tensorflow_imported():
    """Import TensorFlow here, before any pytester run: an in-process run drops the modules it
    imported when it ends, and importing TensorFlow a second time in a process aborts it."""
    from harness.tfsetup import import_quietly

    import_quietly()


@pytest.fixture
def project(pytester: pytest.Pytester):
    """``project(**{"specs/x.yaml": text})``: files under pytester's folder, and the arrays."""

    def write(**files: str) -> Path:
        for name, text in files.items():
            path = pytester.path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        (pytester.path / "specs").mkdir(exist_ok=True)
        shutil.copy(DATA / "arrays" / "good.npz", pytester.path / "specs" / "good.npz")
        return pytester.path

    return write


def failure_text(result: pytest.RunResult, nodeid: str) -> list[str]:
    """The lines of one failure section, between its header and the next one."""
    lines = result.outlines
    start = next(i for i, line in enumerate(lines) if line.strip("_ ") == nodeid)
    end = next(i for i, line in enumerate(lines[start + 1:], start + 1)
               if line.startswith(("___", "---", "===")))
    return lines[start + 1:end]


def test_a_good_spec_collects_validate_verify_parity_and_passes(project, pytester):
    project(**{"specs/tiny_dense.yaml": dense()})
    collected = pytester.runpytest("specs", "--collect-only", "-q")
    collected.stdout.fnmatch_lines(["specs/tiny_dense.yaml::validate",
                                    "specs/tiny_dense.yaml::verify",
                                    "specs/tiny_dense.yaml::parity", "3 tests collected*"])
    assert "::train" not in collected.stdout.str()  # architecture only: nothing to train
    result = pytester.runpytest("specs", "-rP")
    result.assert_outcomes(passed=3)
    # the tables of harness verify --parity, as report sections
    result.stdout.fnmatch_lines(["*Captured architecture call*", "| dense (Dense) *| 18 *| yes*"])
    result.stdout.fnmatch_lines(["*parity on random inputs, input shape (4, 5)*"])


def test_a_wrong_params_count_fails_verify_naming_the_file_and_the_figure(project, pytester):
    project(**{"specs/tiny_dense.yaml": dense(params=19)})
    result = pytester.runpytest("specs")
    result.assert_outcomes(passed=2, failed=1)  # validate and parity pass
    lines = failure_text(result, "specs/tiny_dense.yaml::verify")
    assert lines[0] == ("specs/tiny_dense.yaml::verify: model.layers[0] (Dense): params differ: "
                        "expected 19, built 18")
    assert "Traceback" not in result.stdout.str()
    result.stdout.fnmatch_lines(["FAILED specs/tiny_dense.yaml::verify - specs/tiny_dense.yaml*"])


def test_a_malformed_spec_fails_validate_in_one_line_and_skips_the_rest(project, pytester):
    project(**{"specs/broken.yaml": "name: broken\nmodel: [\n",
               "specs/misspelled.yaml": dense().replace("units: 1", "unit: 1")})
    result = pytester.runpytest("specs", "-rs")
    result.assert_outcomes(failed=2, skipped=4)
    assert failure_text(result, "specs/broken.yaml::validate") == [
        "specs/broken.yaml::validate: line 3, column 1: YAML syntax error: expected the node "
        "content, but found '<stream end>'"]
    result.stdout.fnmatch_lines([
        "SKIPPED [[]2[]] specs/broken.yaml: the spec does not parse (line 3, column 1: YAML*); "
        "see specs/broken.yaml::validate"])
    assert failure_text(result, "specs/misspelled.yaml::validate") == [
        "specs/misspelled.yaml::validate: model.layers[1].unit: unknown argument of Dense; "
        "did you mean 'units'?; model.layers[1]: Dense needs units"]
    assert "Traceback" not in result.stdout.str()


def test_two_specs_of_one_name_fail_the_second_validate(project, pytester):
    project(**{"specs/a.yaml": dense(), "specs/b.yaml": dense()})
    result = pytester.runpytest("specs", "-k", "validate")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["specs/b.yaml::validate: name: 'tiny_dense' is already the "
                                 "name of specs/a.yaml; spec names must be unique*"])


def test_the_train_item_is_opt_in(project, pytester):
    project(**{"specs/tiny_arrays.yaml": arrays()})
    deselected = pytester.runpytest("specs", "-m", "not slow")
    deselected.assert_outcomes(passed=3, deselected=1)
    skipped = pytester.runpytest("specs", "-k", "train", "-rs")
    skipped.assert_outcomes(skipped=1)
    skipped.stdout.fnmatch_lines(["SKIPPED [[]1[]] specs/tiny_arrays.yaml: training is opt-in: "
                                  "pass --harness-train*"])
    trained = pytester.runpytest("specs", "-m", "slow", "--harness-train")
    trained.assert_outcomes(passed=1, deselected=3)


def test_a_trained_spec_outside_its_band_fails_train(project, pytester):
    band = "{metric: best_val_loss, low: 0.0, high: 0.000001}"
    project(**{"specs/tiny_arrays.yaml": arrays(band)})
    result = pytester.runpytest("specs", "-m", "slow", "--harness-train")
    result.assert_outcomes(failed=1, deselected=3)
    result.stdout.fnmatch_lines(["specs/tiny_arrays.yaml::train: band: best_val_loss = *, "
                                 "outside [[]0.0, 1e-06[]] (train section, seed 0, status "
                                 "complete)"])


def test_a_factory_spec_skips_parity_with_the_reason(project, pytester):
    factory = """\
name: towers
model:
  factory: "tiny_models:two_towers"
  factory_args: {units: 3}
  expect: {total_params: 43}
"""
    project(**{"specs/towers.yaml": factory})
    shutil.copy(DATA / "factories" / "tiny_models.py", pytester.path / "specs")
    result = pytester.runpytest("specs", "-rs")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED * a factory model (tiny_models:two_towers) has no "
                                 "layer list for the NumPy references to follow"])


@pytest.mark.parametrize(("path", "globs", "collected"), [
    ("specs/x.yaml", ["specs/*.yaml"], True),
    ("tests/data/specs/bad_units.yaml", ["specs/*.yaml", "specs/*.yml"], False),
    ("specs/sub/x.yaml", ["specs/*.yaml"], False),
    ("specs/sub/x.yaml", ["specs/**/*.yaml"], True),
    ("models/a/specs/x.yml", ["**/specs/*.yml"], True),
    ("specs/x.yml", ["specs/*.yaml"], False),
])
def test_is_spec_path_matches_folder_by_folder(tmp_path, path, globs, collected):
    assert is_spec_path(tmp_path / path, tmp_path, globs) is collected


def test_only_yaml_files_matching_the_globs_are_collected(project, pytester):
    bad = (DATA / "specs" / "bad_units.yaml").read_text()
    project(**{"specs/tiny_dense.yaml": dense(), "tests/data/specs/bad_units.yaml": bad,
               "tests/test_it.py": "def test_it():\n    pass\n",
               "models/tiny.yaml": dense().replace("tiny_dense", "tiny_model"),
               "tox.ini": "[pytest]\ntestpaths = tests\n"})
    default = pytester.runpytest("--collect-only", "-q")
    default.stdout.fnmatch_lines(["tests/test_it.py::test_it", "1 test collected*"])
    # a file named on the command line is collected whatever the globs
    named = pytester.runpytest("--collect-only", "-q", "tests/data/specs/bad_units.yaml")
    named.stdout.fnmatch_lines(["tests/data/specs/bad_units.yaml::validate",
                                "tests/data/specs/bad_units.yaml::train", "4 tests*"])
    # harness_specs replaces the default globs
    pytester.path.joinpath("tox.ini").write_text("[pytest]\nharness_specs = models/*.yaml\n")
    custom = pytester.runpytest("--collect-only", "-q", "specs", "models")
    custom.stdout.fnmatch_lines(["models/tiny.yaml::validate", "models/tiny.yaml::verify",
                                 "models/tiny.yaml::parity", "3 tests collected*"])


def test_the_plugin_turns_off_with_p_no_harness(project, pytester):
    project(**{"specs/tiny_dense.yaml": dense()})
    result = pytester.runpytest("specs", "-p", "no:harness")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_the_projects_test_data_specs_are_not_collected():
    """The default run reaches tests/data/specs/bad_*.yaml; none may become an item."""
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                           "-p", "no:cacheprovider", "tests/data"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, done.stdout + done.stderr
    assert ".yaml" not in done.stdout


def test_the_fixtures_give_the_spec_model_and_data(project, pytester):
    project(**{"specs/tiny_arrays.yaml": arrays(),
               "test_user.py": """\
import pytest

from harness import DataError


def test_model(harness_spec, harness_model, harness_data):
    spec = harness_spec("specs/tiny_arrays.yaml")
    model = harness_model(spec)
    assert model.count_params() == spec.model.expect.total_params == 101
    assert model.compiled and model.loss == "binary_crossentropy"
    data = harness_data("specs/tiny_arrays.yaml")
    assert data.x_train.shape == (8, 5) and data.x_test.shape == (4, 5)
    assert model.predict(data.x_test, verbose=0).shape == (4, 1)


def test_same_seed_same_weights(harness_model):
    first, again = (harness_model("specs/tiny_arrays.yaml", seed=3) for _ in range(2))
    assert all((a == b).all() for a, b in zip(first.get_weights(), again.get_weights()))


def test_harness_data_option(harness_data):
    with pytest.raises(DataError, match="elsewhere.npz"):
        harness_data("specs/tiny_arrays.yaml")
"""})
    pytester.runpytest("test_user.py", "-k", "not option").assert_outcomes(passed=2)
    option = pytester.runpytest("test_user.py", "-k", "option", "--harness-data", "elsewhere.npz")
    option.assert_outcomes(passed=1)
