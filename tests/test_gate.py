"""harness.gate: check objects and verdicts on hand-written runs (tests/data/gate/), CLI codes.

Every scenario folder holds three made-up runs (seeds 5-7) of tests/data/specs/good_gate.yaml;
``baseline/`` holds five (seeds 0-4): best val_acc 0.8326 +/- 0.0070, test acc 0.8202 +/- 0.0068.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
from support import GATE, GATE_SPEC, ROOT

from harness.ci_run import fresh_seeds
from harness.cli import main
from harness.errors import UsageError
from harness.gate import (
    BandCheck,
    CompleteRuns,
    CurveCheck,
    StuckAtChance,
    compare,
    differences,
    judge,
    load_run_files,
    make_groups,
)
from harness.spec import load_spec

METRICS = ("best_val_acc", "final_val_acc", "test_acc", "epoch_time_s")


pytestmark = pytest.mark.usefixtures("at_root")  # GATE and GATE_SPEC are relative to it


def _runs(name: str) -> list[dict]:
    """The run files as raw documents, for tests that edit them (the gate reads either)."""
    return [doc.to_json_dict() for _, doc in load_run_files([GATE / name])]


def _group(name: str, runs: list[dict] | None = None):
    groups, not_comparable = make_groups(runs or _runs(name), [load_spec(GATE_SPEC)],
                                         GATE / "baseline")
    # The fixtures carry good_gate.yaml's spec hash: after an edit of its model, data or train
    # section, put the new hash (and section hashes) into every tests/data/gate/*/runs/*.json.
    assert len(groups) == 1 and not not_comparable, not_comparable
    return groups[0]


SCENARIOS = [
    # (folder, failure messages (their beginnings, in order), verdict of each metric)
    ("same", [], ["pass"] * 4),
    # one seed 0.07 low: the mean drops 0.018, less than min_effect and not significant
    ("noisy", [], ["pass"] * 4),
    # a consistent drop of 0.015: significant (p < 0.01 < 0.05 / 3 gated metrics); min_effect
    # 0.03 is what the gate must be able to see, not a floor under what it reports
    ("small_drop", ["regression: best val_acc mean 0.8180 of 3 runs vs baseline 0.8326 of 5 "
                    "(drop 0.0146; Welch t one-sided p = 0.0036 < 0.0167)",
                    "regression: final val_acc", "regression: test acc"],
     ["regression"] * 3 + ["pass"]),
    ("improved", [], ["improvement"] * 3 + ["pass"]),
    ("regressed", ["regression: best val_acc mean 0.7920 of 3 runs vs baseline 0.8326 of 5 "
                   "(drop 0.0406; Welch t one-sided p = 0.0013 < 0.0167)",
                   "regression: final val_acc", "regression: test acc mean 0.7827",
                   "diverged from the baseline curve at epoch 2: val_acc mean 0.7920"],
     ["regression"] * 3 + ["pass"]),
    ("stuck", ["stuck at chance: 3 of 3 runs (seed 5, 6, 7) after epoch 2: val_acc 0.5000, "
               "0.4980, 0.5030",
               "band miss: best_val_acc mean 0.5017 of 3 runs is below "
               "tests/data/specs/good_gate.yaml: ci.band [0.75, 0.90]",
               "regression: best val_acc", "regression: final val_acc", "regression: test acc",
               "diverged from the baseline curve at epoch 1: val_acc mean 0.5010 of 3 runs is "
               "below the baseline's 0.7926 +/- 3 x 0.0167 = [0.7424, 0.8428] (5 runs)"],
     ["regression"] * 3 + ["pass"]),
    ("nan", ["NaN or infinite loss in 1 of 3 runs (seed 5); seed 5: loss became nan at epoch 2"],
     ["pass"] * 4),
    ("diverged", ["diverged from the baseline curve at epoch 1: val_acc mean 0.7000"],
     ["pass"] * 4),
    ("slower", ["regression: epoch time (s) mean 16.0 of 3 runs vs baseline 10.0 of 5 "
                "(+59.7% > min_effect 50%"], ["pass"] * 3 + ["regression"]),
    # accuracy compares across machines; the epoch time only on the same one
    ("other_device", [], ["pass"] * 3 + ["not comparable"]),
]


@pytest.mark.parametrize(("folder", "failures", "verdicts"), SCENARIOS,
                         ids=[s[0] for s in SCENARIOS])
def test_scenario(folder, failures, verdicts):
    group = _group(folder)
    found = judge([group]).failures[0]
    assert len(found) == len(failures), found
    for message, start in zip(found, failures, strict=True):
        assert message.startswith(start), (message, start)
    assert [compare(group, m).verdict for m in METRICS] == verdicts


def test_another_machine_is_compared_on_accuracy_and_named():
    group = _group("other_device")
    assert len(group.baseline) == 5 and group.baseline_note is None
    assert group.environment == ["device: CPU Other CPU (2 cores) here; baseline CPU Test CPU "
                                 "(2 cores) (5 runs)"]
    assert group.timing_baseline == [] and group.timing_note == (
        "timings not comparable: the 5 baseline run(s) differ in device CPU Other CPU (2 cores) "
        "vs CPU Test CPU (2 cores)")
    assert group.missing_baseline() == ["epoch_time_s"]  # the spec gates the epoch time
    broken = copy.deepcopy(group)
    broken.band = broken.band.model_copy(update={"low": 0.85})
    assert BandCheck()(broken).startswith("band miss: best_val_acc mean 0.8323 of 3 runs is below")


def test_runs_of_another_spec_version_are_not_gated():
    groups, not_comparable = make_groups(_runs("other_spec"), [load_spec(GATE_SPEC)],
                                         GATE / "baseline")
    assert groups == []
    assert not_comparable == ["gate_rnn: 3 run(s) made with another version of "
                              "tests/data/specs/good_gate.yaml (data section changed): not "
                              "comparable, not gated"]


def test_differences_name_every_key():
    a, b = _runs("same")[0], copy.deepcopy(_runs("same")[0])
    b["execution"]["deterministic"] = True
    b["schedule"]["epochs"] = 3
    b["data"]["checksum"] = "cd" * 32
    schedule = ("schedule epochs 2, batch_size 2, train_samples all, test_samples 100, "
                "validation_split 0.5 vs epochs 3, batch_size 2, train_samples all, test_samples "
                "100, validation_split 0.5")
    assert differences(a, b) == [schedule, "data checksum abababababab vs cdcdcdcdcdcd"]
    # the mode matters to timings only (XLA and the Keras default compute the same function)
    assert differences(a, b, timing=True) == [schedule, "data checksum abababababab vs "
                                              "cdcdcdcdcdcd", "execution mode xla vs xla, "
                                              "deterministic"]
    assert differences(a, a) == [] and differences(a, a, timing=True) == []


def test_incomplete_runs_are_left_out_and_none_complete_fails():
    runs = _runs("same")
    runs[0] = {**runs[0], "status": "interrupted"}
    group = _group("same", runs)
    assert len(group.complete) == 2
    assert group.notes == ["left out: 1 run(s) that did not finish (seed 5, status interrupted)"]
    assert CompleteRuns()(group) is None
    every = _group("same", [{**r, "status": "running"} for r in _runs("same")])
    assert CompleteRuns()(every) == "no complete run among 3 (status running)"


def test_stuck_needs_two_epochs_and_both_signs_of_chance():
    check = StuckAtChance()
    one_epoch = {"history": {"val_acc": [0.50], "loss": [0.693]}}
    assert check.stuck(one_epoch) is None
    assert check.stuck({"history": {"val_acc": [0.5, 0.51], "loss": [0.7, 0.70]}}) == (0.51, 0.7)
    # at chance on val_acc but learning (loss well below ln 2): overfitting, not stuck
    assert check.stuck({"history": {"val_acc": [0.5, 0.51], "loss": [0.6, 0.45]}}) is None


def test_without_validation_stuck_uses_acc_and_the_curve_uses_loss():
    # A spec with validation_split 0 (the dense baseline) records no val_acc or val_loss.
    runs = _runs("stuck")
    for run in runs:
        run["history"] = {"loss": run["history"]["loss"], "acc": [0.5, 0.51]}
    group = _group("stuck", runs)
    for run in group.baseline:
        run.history = {k: run.history[k] for k in ("loss", "acc")}
    assert StuckAtChance()(group).startswith("stuck at chance: 3 of 3 runs")
    assert CurveCheck()(group).startswith("diverged from the baseline curve at epoch 1: loss mean "
                                          "0.6936 of 3 runs is above the baseline's 0.6050")


def test_curve_check_needs_two_baseline_runs():
    group = _group("stuck")
    group.baseline = group.baseline[:1]
    assert CurveCheck()(group) is None


def test_fresh_seeds_follow_the_baseline():
    spec = load_spec(GATE_SPEC)
    assert fresh_seeds(spec, 3, GATE / "baseline") == [5, 6, 7]
    assert fresh_seeds(spec, 2, GATE / "nowhere") == [0, 1]
    assert fresh_seeds(spec, 2, GATE / "baseline", start=10) == [10, 11]


def test_a_run_given_twice_counts_once():
    files = load_run_files([GATE / "same", GATE / "same" / "runs" / "seed5.json"])
    assert [f.name for f, _ in files] == ["seed5.json", "seed6.json", "seed7.json"]


def test_results_of_a_spec_not_given_is_a_usage_error():
    other = load_spec("tests/data/specs/good_tiny.yaml")
    with pytest.raises(UsageError, match="results of spec 'gate_rnn'.*pass its spec file"):
        make_groups(_runs("same"), [other], GATE / "baseline")


# ---------------------------------------------------------------------------------------------
# The command


def _gate(*args: str) -> int:
    return main(["gate", str(GATE_SPEC), "--baseline", str(GATE / "baseline"), *args])


def test_gate_regression_exits_1_and_writes_the_golden_verdict(tmp_path, capsys):
    verdict = tmp_path / "verdict.md"
    code = _gate("--results", str(GATE / "regressed"), "--verdict", str(verdict))
    out, err = capsys.readouterr()
    assert code == 1
    golden = (GATE / "verdict_regressed.md").read_text()
    assert verdict.read_text() == golden
    assert golden in out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: gate: 4 failure(s): gate_rnn: "
                                                   "regression: best val_acc")


@pytest.mark.parametrize("folder", ["same", "noisy", "improved"])
def test_gate_passes_exit_0(folder, tmp_path, capsys):
    assert _gate("--results", str(GATE / folder), "--verdict", str(tmp_path / "v.md")) == 0
    assert "gate: pass" in capsys.readouterr().out
    assert (tmp_path / "v.md").read_text().startswith("# Accuracy gate: PASS")


@pytest.mark.parametrize(("args", "message"), [
    ([], "give --results FILE... (results to judge) or --run"),
    (["--run", "--results", "x.json"], "give --results FILE... (results to judge) or --run"),
    (["--results", "tests/data/gate/missing"], "tests/data/gate/missing: no such results file"),
    (["--results", "tests/data/specs"], "tests/data/specs: no run files (runs/*.json)"),
    (["--results", "tests/data/gate/same", "--baseline", "nowhere"],
     "--baseline nowhere: no such folder"),
])
def test_gate_usage_errors_exit_2(args, message, tmp_path, capsys):
    code = main(["gate", str(GATE_SPEC), "--verdict", str(tmp_path / "v.md"), *args,
                 *([] if "--baseline" in args else ["--baseline", str(GATE / "baseline")])])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "v.md").exists()


def test_gate_on_stored_results_does_not_import_tensorflow(tmp_path):
    code = (
        "import sys\nfrom harness.cli import main\n"
        f"main(['gate', {str(GATE_SPEC)!r}, '--results', {str(GATE / 'same')!r}, '--baseline', "
        f"{str(GATE / 'baseline')!r}, '--verdict', {str(tmp_path / 'v.md')!r}])\n"
        "print('HEAVY', [m for m in ('tensorflow', 'keras') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr


def test_catalog_baselines_match_their_specs():
    """Every catalog spec with a ci section has a committed baseline of five or more runs of its
    current version and CI schedule, whose mean lies inside the ci band calibrated from it."""
    from harness.pipeline import RunOptions
    from harness.spec import discover_specs, load_specs
    from harness.stats import run_figures, summarize

    for spec in load_specs(discover_specs(["specs"])):
        if spec.ci is None:
            continue
        runs = [doc for _, doc in load_run_files([Path("reports/baseline") / spec.name])]
        schedule = RunOptions.for_ci(spec).schedule_of(spec)
        assert len(runs) >= 5, spec.name
        assert {r.spec.hash for r in runs} == {spec.content_hash()}, spec.name
        assert all(r.schedule.to_json_dict() == schedule and r.status == "complete"
                   for r in runs)
        mean = summarize([run_figures(r)[spec.ci.band.metric] for r in runs]).mean
        assert spec.ci.band.low <= mean <= spec.ci.band.high, (spec.name, mean)


def test_a_metric_without_min_effect_is_reported_not_gated():
    group = _group("slower")
    group.spec = group.spec.model_copy(update={"ci": group.spec.ci.model_copy(update={
        "min_effect": group.spec.ci.min_effect.model_copy(update={"epoch_time_pct": None})})})
    assert compare(group, "epoch_time_s").verdict == "slower (not gated)"
    assert judge([group]).failures == [[]]


def test_baseline_runs_under_test_are_left_out_of_their_own_baseline():
    # `gate --results tests/data/gate/baseline/...`: the 5 baseline runs against themselves
    group = _group("baseline", _runs("baseline/gate_rnn"))
    assert group.baseline == [] and group.baseline_note == (
        "no baseline: the runs under test are the only complete runs in "
        f"{GATE / 'baseline' / 'gate_rnn' / 'runs'}")
    assert group.notes[-1].startswith("5 of the runs under test are baseline runs")
    assert compare(group, "best_val_acc").verdict == "no baseline"
    # two of them against the other three
    group = _group("baseline", _runs("baseline/gate_rnn")[:2])
    assert len(group.baseline) == 3
    assert group.notes[-1].startswith("2 of the runs under test are baseline runs")


def test_a_verdict_path_that_cannot_be_written_stops_the_gate_before_training(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    out = tmp_path / "out"
    code = main(["gate", str(GATE_SPEC), "--run", "--data", "tests/data/aclImdb_tiny", "--out",
                 str(out), "--verdict", str(blocker / "v.md")])
    assert code == 2
    assert capsys.readouterr().err == (f"error: {blocker}: cannot be an output folder: "
                                       f"{blocker} is a file, not a folder; pass --verdict FILE\n")
    assert not out.exists()  # nothing trained
    assert main(["gate", str(GATE_SPEC), "--results", str(GATE / "same"), "--verdict",
                 str(tmp_path)]) == 2
    assert f"--verdict {tmp_path}: is a folder" in capsys.readouterr().err


def test_specs_without_a_ci_section_are_listed_as_not_gated(tmp_path, capsys):
    verdict = tmp_path / "v.md"
    assert main(["gate", str(GATE_SPEC), "specs/notebook_simple_rnn.yaml", "specs/imdb_gru.yaml",
                 "--results", str(GATE / "same"), "--baseline", str(GATE / "baseline"),
                 "--verdict", str(verdict)]) == 0
    text = verdict.read_text()
    assert "- notebook_simple_rnn (specs/notebook_simple_rnn.yaml): architecture only, not " \
           "gated" in text
    assert "- imdb_gru (specs/imdb_gru.yaml): no ci section, not gated" in text


# ---------------------------------------------------------------------------------------------
# No silent pass, power on the page, a machine kind that shifts the baseline


@pytest.mark.parametrize(("folder", "why"), [
    ("other_device", "gate_rnn (epoch time (s)): timings not comparable: the 5 baseline run(s) "
                     "differ in device CPU Other CPU (2 cores) vs CPU Test CPU (2 cores); remedy: "
                     "harness calibrate tests/data/specs/good_gate.yaml"),
    ("other_spec", "gate_rnn: nothing judged (3 run(s) made with another version of "
                   "tests/data/specs/good_gate.yaml (data section changed)"),
])
def test_a_gated_metric_without_a_comparable_baseline_exits_3(folder, why, tmp_path, capsys):
    verdict = tmp_path / "v.md"
    assert _gate("--results", str(GATE / folder), "--verdict", str(verdict)) == 3
    first = verdict.read_text().splitlines()[0]
    assert first.startswith("# Accuracy gate: NO BASELINE for ") and why in first, first
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: gate: no comparable baseline for gate_rnn")


def test_an_empty_baseline_is_no_pass_unless_allowed_and_then_said_loudly(tmp_path, capsys):
    empty = tmp_path / "baseline"
    (empty / "gate_rnn" / "runs").mkdir(parents=True)
    args = ["gate", str(GATE_SPEC), "--results", str(GATE / "same"), "--baseline", str(empty),
            "--verdict", str(tmp_path / "v.md")]
    assert main(args) == 3
    text = (tmp_path / "v.md").read_text()
    assert text.startswith("# Accuracy gate: NO BASELINE for gate_rnn (best val_acc, final "
                           "val_acc, test acc, epoch time (s)): no baseline: no complete runs in "
                           f"{empty / 'gate_rnn' / 'runs'}; remedy: harness calibrate "
                           f"{GATE_SPEC}"), text
    capsys.readouterr()
    assert main([*args, "--allow-missing-baseline"]) == 0
    out, err = capsys.readouterr()
    assert (tmp_path / "v.md").read_text().startswith(
        "# Accuracy gate: PASS WITHOUT BASELINE (--allow-missing-baseline) for gate_rnn")
    assert err.startswith("gate: PASS WITHOUT BASELINE (--allow-missing-baseline): gate_rnn")
    # the bands and failure modes are still judged: a stuck run still fails (exit 1)
    stuck = [*args[:3], str(GATE / "stuck"), *args[4:], "--allow-missing-baseline"]
    assert main(stuck) == 1
    assert (tmp_path / "v.md").read_text().startswith("# Accuracy gate: FAIL (2 failures); "
                                                      "NO BASELINE for gate_rnn")


def test_power_is_printed_and_a_blind_gate_is_warned():
    from harness.gate import power_lines

    group = _group("same")
    lines = power_lines(group)
    assert lines[0] == ("- power: best val_acc: detects a drop of 0.0200 with 80% power (3 runs "
                        "vs 5, std 0.0067, one-sided alpha 0.0167); asked to see 0.03")
    assert compare(group, "best_val_acc").detectable == pytest.approx(0.0200, abs=5e-5)
    # asked to see one point, these 3 runs against 5 cannot: the verdict says so and how many
    # runs would
    blind = copy.deepcopy(group)
    blind.spec = blind.spec.model_copy(update={"ci": blind.spec.ci.model_copy(update={
        "min_effect": blind.spec.ci.min_effect.model_copy(update={"best_val_acc": 0.01})})})
    assert power_lines(blind)[0].endswith(
        "asked to see 0.01: WARNING: it cannot see a drop of 0.01 (not with any number of runs "
        "against this baseline: record more baseline runs, harness calibrate "
        "tests/data/specs/good_gate.yaml --extend 16)")
    blind.spec = blind.spec.model_copy(update={"ci": blind.spec.ci.model_copy(update={
        "min_effect": blind.spec.ci.min_effect.model_copy(update={"best_val_acc": 0.017})})})
    assert power_lines(blind)[0].endswith("(it would with 4 runs against this baseline)")


def _other_kind(runs: list[dict], model: str, shift: float) -> list[dict]:
    moved = copy.deepcopy(runs)
    for run in moved:
        run["run_id"] += "-other"
        run["environment"]["cpu"]["model"] = model
        run["history"]["val_acc"] = [v + shift for v in run["history"]["val_acc"]]
        run["test"]["acc"] += shift
    return moved


def test_a_machine_kind_that_shifts_the_baseline_is_a_finding_and_judged_per_kind(tmp_path):
    import json

    base = _runs("baseline/gate_rnn")
    folder = tmp_path / "gate_rnn" / "runs"
    folder.mkdir(parents=True)
    for i, run in enumerate(base + _other_kind(base, "Other CPU", 0.05)):
        (folder / f"{i}.json").write_text(json.dumps(run))
    groups, _ = make_groups(_runs("same"), [load_spec(GATE_SPEC)], tmp_path)
    group = groups[0]
    assert len(group.baseline) == 5  # this machine kind's runs only
    assert all(r.environment.cpu.model == "Test CPU" for r in group.baseline)
    assert group.notes[0].startswith("finding: the machine kind shifts best val_acc in the "
                                     "baseline (CPU Test CPU (2 cores) 0.8326 (5 runs); CPU Other "
                                     "CPU (2 cores) 0.8826 (5 runs); one-way ANOVA p = ")
    assert group.notes[0].endswith("judged against the 5 baseline runs of CPU Test CPU (2 cores) "
                                   "only")
    # no shift: all ten are used, and the other kind is listed as an environment difference
    for i, run in enumerate(_other_kind(base, "Other CPU", 0.0)):
        (folder / f"{5 + i}.json").write_text(json.dumps(run))
    group = make_groups(_runs("same"), [load_spec(GATE_SPEC)], tmp_path)[0][0]
    assert len(group.baseline) == 10 and not group.notes
    assert group.environment == ["device: CPU Test CPU (2 cores) here; baseline CPU Other CPU "
                                 "(2 cores) (5 runs), CPU Test CPU (2 cores) (5 runs)"]


def test_a_gated_metric_that_cannot_be_tested_is_not_a_pass(tmp_path):
    one = tmp_path / "one" / "gate_rnn" / "runs"
    one.mkdir(parents=True)
    (one / "seed0.json").write_text((GATE / "baseline" / "gate_rnn" / "runs" / "seed0.json")
                                    .read_text())
    verdict = tmp_path / "v.md"
    code = main(["gate", str(GATE_SPEC), "--results", str(GATE / "same" / "runs" / "seed5.json"),
                 "--baseline", str(tmp_path / "one"), "--verdict", str(verdict)])
    text = verdict.read_text()
    assert code == 3, text
    assert text.startswith("# Accuracy gate: NO BASELINE for gate_rnn (best val_acc, final "
                           "val_acc, test acc, epoch time (s)): too few runs to test: 1 run(s) "
                           "against 1 baseline run(s)"), text
    assert "## gate_rnn: NO BASELINE" in text


@pytest.mark.parametrize(("target", "message"), [
    ("/dev/null", "--verdict /dev/null: not a regular file"),
    ("{tmp}/v.json", "the verdict is Markdown; a .json path looks like a results file"),
])
def test_a_verdict_path_that_is_no_markdown_file_is_refused(target, message, tmp_path, capsys):
    code = main(["gate", str(GATE_SPEC), "--results", str(GATE / "same"), "--baseline",
                 str(GATE / "baseline"), "--verdict", target.format(tmp=tmp_path)])
    assert code == 2 and message in capsys.readouterr().err
    assert Path("/dev/null").is_char_device()


def test_gated_specs_without_results_are_named(tmp_path):
    verdict = tmp_path / "v.md"
    main(["gate", str(GATE_SPEC), "specs/imdb_lstm.yaml", "--results", str(GATE / "same"),
          "--baseline", str(GATE / "baseline"), "--verdict", str(verdict)])
    assert "- imdb_lstm (specs/imdb_lstm.yaml): gated, but no results of it among those given: " \
           "not judged" in verdict.read_text()


def test_the_verdict_as_json_for_scripts(tmp_path, capsys):
    import json

    code = _gate("--results", str(GATE / "regressed"), "--verdict", str(tmp_path / "v.md"),
                 "--json")
    out = capsys.readouterr().out
    document = json.loads(out)  # stdout is the document alone
    assert code == document["exit_code"] == 1
    assert document["state"] == "FAIL" and document["headline"] == "# Accuracy gate: FAIL " \
                                                                   "(4 failures)"
    (group,) = document["groups"]
    best = group["metrics"]["best_val_acc"]
    assert (best["verdict"], best["gated"], best["min_effect"]) == ("regression", True, 0.03)
    assert best["current"]["n"] == 3 and best["baseline"]["n"] == 5
    assert best["detectable"] == pytest.approx(0.0221, abs=5e-5)
    assert (tmp_path / "v.md").read_text().startswith("# Accuracy gate: FAIL")


def test_the_verdict_names_specs_and_baselines_relative_to_the_project(tmp_path, capsys):
    # given as absolute paths under the working directory (as tox -e gate gives them), the
    # verdict still names them relative to it: no machine path in a committed verdict
    verdict = tmp_path / "v.md"
    assert main(["gate", str(ROOT / GATE_SPEC), str(ROOT / "specs/imdb_gru.yaml"), "--results",
                 str(ROOT / GATE / "same"), "--baseline", str(ROOT / GATE / "baseline"),
                 "--verdict", str(verdict)]) == 0
    text = verdict.read_text()
    assert f"({GATE_SPEC}: ci.band)" in text
    assert "- imdb_gru (specs/imdb_gru.yaml): no ci section, not gated" in text
    assert str(ROOT) not in text


def test_quiet_gate_prints_the_headline_and_the_summary_line(tmp_path, capsys):
    assert _gate("-q", "--results", str(GATE / "same"), "--verdict", str(tmp_path / "v.md")) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == ["# Accuracy gate: PASS",
                                f"gate: pass (1 group(s) judged); verdict in {tmp_path / 'v.md'}"]
    assert (tmp_path / "v.md").read_text().startswith("# Accuracy gate: PASS\n\n| spec")
