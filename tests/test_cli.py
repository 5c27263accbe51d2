"""harness.cli: lazy imports, one-line errors without tracebacks, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import RESULTS, ROOT, SPECS, TINY

from harness.cli import main


def _harness(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


@pytest.mark.parametrize("args", [["--help"], ["validate"]])
def test_help_and_validate_do_not_import_tensorflow(args):
    code = (
        "import sys\nfrom harness.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr


def test_validate_the_catalog(capsys):
    assert main(["validate"]) == 0
    assert "imdb_simple_rnn" in capsys.readouterr().out


def test_validate_reports_every_bad_file_and_exits_2(capsys):
    code = main(["validate", str(SPECS / "bad_unknown_argument.yaml"),
                 str(SPECS / "bad_wrong_type.yaml")])
    err = capsys.readouterr().err
    assert code == 2
    assert ("bad_unknown_argument.yaml: model.layers[1].go_backward: unknown argument of "
            "SimpleRNN; did you mean 'go_backwards'?") in err
    assert "bad_wrong_type.yaml: train.epochs: must be an integer, got 'two'" in err


def _one_line_error(proc: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_missing_data_path(tmp_path):
    proc = _harness("run", str(SPECS / "good_tiny.yaml"), "--data", str(tmp_path / "nope.tgz"),
                    "--out", str(tmp_path / "out"))
    assert proc.returncode == 1
    line = _one_line_error(proc)
    assert "nope.tgz: no such file or directory" in line and "--data" in line


def test_corrupt_archive(tmp_path):
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00 truncated")
    proc = _harness("run", str(SPECS / "good_tiny.yaml"), "--data", str(bad),
                    "--out", str(tmp_path / "out"))
    assert proc.returncode == 1
    assert "bad.tar.gz: not a readable .tar.gz archive" in _one_line_error(proc)


def test_wrong_expected_params_prints_a_table_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    proc = _harness("run", str(SPECS / "bad_params.yaml"), "--data", str(TINY), "--out", str(out))
    assert proc.returncode == 1
    line = _one_line_error(proc)
    assert "bad_params.yaml: the built model does not match the spec" in line
    assert "model.layers[1] (SimpleRNN): params differ: expected 25, built 24" in line
    assert "| simple_rnn (SimpleRNN)" in proc.stderr  # the expected-vs-actual table
    assert not list(out.rglob("*.json"))


def test_debug_shows_the_traceback(tmp_path):
    proc = _harness("--debug", "validate", str(SPECS / "bad_unknown_argument.yaml"))
    assert "Traceback" in proc.stderr and "SpecError" in proc.stderr


def test_tiny_run_end_to_end(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(SPECS / "good_tiny.yaml"), "--data", str(TINY), "--out", str(out),
                 "--mode", "default"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "epoch 1/2" in printed and "epoch 2/2" in printed
    folder = out / "tiny_rnn"
    assert {p.name for p in folder.iterdir()} >= {"results.json", "report.md", "accuracy.png",
                                                   "loss.png", "runs"}
    assert len(list((folder / "runs").glob("*.json"))) == 1


# --- harness report on bad results files ------------------------------------------------------


@pytest.mark.parametrize(("name", "message"), [
    ("newer_schema.json", "written with results schema 3, this harness reads up to 2; upgrade "
                          "keras-harness to read it"),
    ("broken.json", "line 4, column 3: broken JSON (Expecting ',' delimiter)"),
    ("wrong_type.json", "not a valid results file: history.val_acc[1]: input should be a valid "
                        "number"),
    ("missing.json", "no such results file"),
])
def test_report_refuses_a_bad_results_file(harness, tmp_path, name, message):
    result = harness("report", RESULTS / name, "--out", tmp_path / "report")
    assert result.code == 1
    assert result.error.startswith(f"error: {RESULTS / name}: {message}")
    assert not (tmp_path / "report").exists()


def test_report_upgrades_an_older_results_file(harness, tmp_path):
    result = harness("report", RESULTS / "schema0.json", "--out", tmp_path)
    assert result.code == 0, result.err
    report = (tmp_path / "report.md").read_text()
    assert "| 2       | 0.6000 | 0.7500 | 0.6900     | 0.5000    | 1.0" in report


def test_error_line_is_one_line_except_for_the_problems_of_a_spec():
    from harness.errors import DataError, SpecError, error_line

    assert error_line(DataError("x.tgz: cannot read (first\n  second)")) == \
        "error: x.tgz: cannot read (first; second)"
    assert error_line(SpecError("s.yaml", ["a: bad", "b: bad"])) == \
        "error: s.yaml: a: bad\ns.yaml: b: bad"


def test_verify_says_what_keras_refused_in_one_line():
    proc = _harness("verify", str(SPECS / "bad_units.yaml"))
    assert proc.returncode == 2, proc.stderr
    line = _one_line_error(proc)
    assert "bad_units.yaml: model.layers[1] (SimpleRNN): Keras refused it:" in line


# --- a quiet, scriptable command ---------------------------------------------------------------


def _without_log_level() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}


def test_verify_prints_no_tensorflow_start_up_lines_unless_debug():
    command = [sys.executable, "-m", "harness", "verify", "specs/imdb_simple_rnn.yaml"]
    quiet = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                           env=_without_log_level())
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == "", quiet.stderr
    assert "imdb_simple_rnn" in quiet.stdout
    loud = subprocess.run([sys.executable, "-m", "harness", "--debug", *command[3:]],
                          capture_output=True, text=True, cwd=ROOT, env=_without_log_level())
    assert "absl" in loud.stderr or "I0000" in loud.stderr, loud.stderr  # they do exist


def test_a_closed_pipe_keeps_the_exit_code_and_the_files(tmp_path):
    verdict = tmp_path / "v.md"
    process = subprocess.Popen([sys.executable, "-m", "harness", "gate",
                                "tests/data/specs/good_gate.yaml", "--baseline",
                                "tests/data/gate/baseline", "--results",
                                "tests/data/gate/regressed", "--verdict", str(verdict)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                               env={**os.environ, "HARNESS_DB": "off"})
    assert process.stdout.readline()  # `| head -1`: the reader goes after the first line
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait() == 1, err  # the regression, not a pipe's exit 0
    assert err.startswith("error: gate: 4 failure(s)") and "Traceback" not in err, err
    assert verdict.read_text().startswith("# Accuracy gate: FAIL")


def test_a_closed_pipe_is_not_an_error():
    process = subprocess.Popen([sys.executable, "-m", "harness", "verify", "specs"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert process.stdout.readline()  # the reader takes one line and goes, like `| head -1`
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait() == 0, err
    assert "BrokenPipeError" not in err and "Traceback" not in err, err


@pytest.mark.parametrize(("args", "message"), [
    (["gate", "--jobs", "0"], "error: harness gate: argument --jobs: must be a positive integer"),
    (["nonsense"], "error: harness: argument COMMAND: invalid choice: 'nonsense'"),
    (["validate", "--bogus"], "error: harness validate: unrecognized arguments: --bogus (see "
                              "harness validate --help)"),
])
def test_usage_errors_are_one_line(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.startswith(message) and len(err.strip().splitlines()) == 1, err
    assert "usage:" not in err


def test_validate_as_json(capsys):
    import json

    assert main(["validate", "specs/imdb_lstm.yaml", "tests/data/specs/good_tiny.yaml",
                 "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["schema_version"] == 1
    assert [(s["name"], s["trains"], s["gated"]) for s in document["valid"]] == [
        ("imdb_lstm", True, True), ("tiny_rnn", True, True)]


# --- -q / -v, and verify --json ----------------------------------------------------------------


@pytest.mark.parametrize(("args", "verbosity"), [
    (["validate"], "normal"), (["-q", "validate"], "quiet"), (["validate", "-q"], "quiet"),
    (["--verbose", "verify"], "verbose"), (["gate", "-v", "--run"], "verbose"),
])
def test_quiet_and_verbose_go_before_or_after_the_command(args, verbosity):
    from harness.cli import build_parser
    from harness.verbosity import NORMAL, QUIET, VERBOSE

    levels = {"quiet": QUIET, "normal": NORMAL, "verbose": VERBOSE}
    assert build_parser().parse_args(args).verbosity == levels[verbosity]


def test_quiet_and_verbose_together_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", "-q", "-v"])
    assert exit_info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_quiet_validate_and_verify_print_only_their_summary(harness, monkeypatch):
    import os

    from harness.verbosity import VERBOSITY_ENV

    monkeypatch.delenv(VERBOSITY_ENV, raising=False)
    result = harness("-q", "validate", "specs/imdb_lstm.yaml")
    assert result.code == 0 and result.err == ""
    (line,) = result.out.splitlines()
    assert line.startswith("1 spec(s) valid in ")
    result = harness("verify", "specs/imdb_lstm.yaml", "--quiet")
    assert result.code == 0 and result.err == ""
    (line,) = result.out.strip().splitlines()
    assert line.startswith("1 of 1 spec(s) verified in ")
    assert VERBOSITY_ENV not in os.environ  # the setting ends with the command
    result = harness("-v", "validate", "specs/imdb_lstm.yaml")
    assert "ok  specs/imdb_lstm.yaml" in result.out and "spec hash " in result.out


def test_quiet_run_prints_the_test_and_report_lines_only(harness, tmp_path):
    result = harness("-q", "run", SPECS / "good_tiny.yaml", "--data", TINY, "--out",
                     tmp_path / "out", "--mode", "default")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["test", "report"], result.out
    assert result.err == ""


def test_verbose_run_adds_the_contract_the_layers_and_keras_lines(harness, tmp_path):
    result = harness("run", SPECS / "good_tiny.yaml", "--data", TINY, "--out", tmp_path / "out",
                     "--mode", "default", "-v")
    assert result.code == 0, result.err
    assert "epoch 1/2  loss" in result.out and "epoch 2/2  loss" in result.out
    assert "  contract: token indices < Embedding input_dim: ok" in result.out
    assert "| simple_rnn (SimpleRNN) |" in result.out  # the architecture table
    assert "ms/step - acc: " in result.out  # Keras's own fit line (verbose=2)


def test_verify_as_json_for_scripts(harness):
    import json

    result = harness("verify", "specs/imdb_lstm.yaml", SPECS / "bad_params.yaml", "--json",
                     "--parity")
    assert result.code == 1
    document = json.loads(result.out)  # stdout is the document alone
    assert document["schema_version"] == 1 and document["ok"] is False
    assert document["verified"] == 1
    good, bad = document["specs"]
    assert (good["path"], good["name"], good["ok"], good["errors"]) == (
        "specs/imdb_lstm.yaml", "imdb_lstm", True, [])
    assert good["totals"]["total_params"] == {"expected": 328353, "actual": 328353,
                                              "closed_form": 328353}
    lstm = good["layers"][1]
    assert (lstm["name"], lstm["type"]) == ("lstm", "LSTM")
    assert lstm["output_shape"] == {"expected": [None, 32], "actual": [None, 32]}
    assert lstm["params"] == {"expected": 8320, "actual": 8320, "closed_form": 8320}
    (random,) = good["parity"]["inputs"]
    assert random["inputs"] == "random inputs" and random["ok"]
    assert [row["name"] for row in random["layers"]][:3] == ["embedding", "lstm", "dense"]
    assert bad["ok"] is False and bad["parity"] is None  # a mismatch is not run for parity
    assert bad["errors"][0] == "model.layers[1] (SimpleRNN): params differ: expected 25, built 24"
    assert bad["layers"][1]["params"] == {"expected": 25, "actual": 24, "closed_form": 24}
    assert result.error.startswith("error: 1 spec(s) do not match their models: ")


def test_verify_as_json_lists_a_spec_keras_refuses_and_goes_on(harness):
    import json

    result = harness("verify", SPECS / "bad_units.yaml", "specs/notebook_simple_rnn.yaml",
                     "--json")
    assert result.code == 2  # a spec error, as without --json
    refused, good = json.loads(result.out)["specs"]
    assert refused["ok"] is False and refused["layers"] == []
    assert "model.layers[1] (SimpleRNN): Keras refused it:" in refused["errors"][0]
    assert good["ok"] is True
