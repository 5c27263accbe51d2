"""The ``harness`` command: ``run``, ``validate``, ``verify``, ``bench``, ``report``, ``gate``.

Every user error is a :class:`harness.errors.HarnessError`, caught here in one place and printed
as ``error: ...`` without a traceback (``--debug`` re-raises it). TensorFlow is imported only by
the subcommands that build models: ``harness --help`` and ``harness validate`` stay fast.
``-q``/``-v`` (before or after the command) set :mod:`harness.verbosity` for the command;
``--json`` (validate, verify, gate) prints one document on standard output (:func:`_print_json`)
and nothing else there.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from . import __version__
from .errors import HarnessError, MissingDataFile, SpecError, UsageError, error_line
from .signals import interrupt_on_signals
from .verbosity import NORMAL, QUIET, VERBOSE, say, shows, verbosity

if TYPE_CHECKING:  # pragma: no cover
    from .result_types import RunResult

DEFAULT_SPECS = "specs"
DEFAULT_BASELINE = "reports/baseline"


_DEBUG = False  # harness --debug: tracebacks, and TensorFlow's start-up lines left alone


def _quiet_tensorflow(now: bool = True) -> None:
    # Before TensorFlow is imported: its process settings, then (``now``) the import itself,
    # its start-up lines silenced unless --debug (harness.tfsetup). Commands that may train
    # in worker processes only (gate --run, calibrate) leave the import to where training runs.
    from .tfsetup import LOGS_ENV, configure, import_quietly

    if _DEBUG:
        os.environ[LOGS_ENV] = "1"
    configure()
    if now:
        import_quietly()


def _spec_paths(given: Sequence[str]) -> list[Path]:
    from .spec import discover_specs

    paths = discover_specs(given or [DEFAULT_SPECS])
    if not paths:
        raise UsageError(f"no spec files found in {', '.join(given or [DEFAULT_SPECS])}")
    return paths


def cmd_validate(args: argparse.Namespace) -> int:
    from .spec import load_specs

    t0 = time.perf_counter()
    specs = load_specs(_spec_paths(args.specs))
    if args.json:
        _print_json({"schema_version": 1, "valid": [
            {"path": str(spec.path), "name": spec.name, "trains": spec.trains,
             "dataset": spec.data.dataset if spec.data is not None else None,
             "gated": spec.ci is not None} for spec in specs]})
        return 0
    for spec in specs:
        kind = "trains" if spec.trains else "architecture only"
        model = (f"factory {spec.model.factory}" if spec.model.layers is None
                 else f"{len(spec.model.layers)} layers")
        data = "" if spec.data is None else f", data {spec.data.dataset}"
        say(f"ok  {spec.path}  ({spec.name}, {model}{data}, {kind})")
        say(f"    spec hash {spec.content_hash()[:16]}...", at=VERBOSE)
    say(f"{len(specs)} spec(s) valid in {time.perf_counter() - t0:.2f} s", at=QUIET)
    return 0


def _print_json(document: dict) -> None:
    """A ``--json`` document (validate, verify, gate): the only thing on standard output."""
    import json

    print(json.dumps(document, indent=2, allow_nan=False, default=str))


def cmd_verify(args: argparse.Namespace) -> int:
    from .spec import load_specs

    if args.data is not None and not args.parity:
        raise UsageError(f"--data {args.data}: real reviews are used only by the parity check; "
                         "add --parity")
    specs = load_specs(_spec_paths(args.specs))
    t0 = time.perf_counter()
    _quiet_tensorflow()
    from .build import build_model
    from .verify import architecture_table, measure, summary_table

    failed: list[str] = []
    documents: list[dict] = []
    exit_code = 0
    for spec in specs:
        document: dict = {"path": str(spec.path), "name": spec.name, "ok": False,
                          "totals": None, "layers": [], "unchecked": [], "notes": [],
                          "parity": None, "errors": []}
        documents.append(document)
        try:
            model = build_model(spec)
            result = measure(model, spec)
            document.update(_verification_document(result))
            if not args.json:
                say(f"\n## {spec.name} ({spec.path}): {'ok' if result.ok else 'MISMATCH'}\n")
                say(architecture_table(result))
                if not args.no_summary:
                    say(f"\nmodel.summary() of \"{spec.name}\":\n")
                    say(summary_table(model))
            errors = list(result.problems)
            message = f"{spec.path}: " + "; ".join(result.problems) if errors else ""
            if result.ok and args.parity:
                checks, note = _parity(model, spec, args.data)
                document["parity"] = {"checked": note is None, "note": note,
                                      "inputs": [_parity_document(*c) for c in checks]}
                if not args.json:
                    _print_parity(checks, note)
                differing = [(words, check) for words, _, check, _ in checks if not check.ok]
                errors += [f"parity on {words}: {p}" for words, check in differing
                           for p in check.problems]
                message = " | ".join(f"{spec.path}: parity on {words}: "
                                     + "; ".join(check.problems) for words, check in differing)
        except HarnessError as exc:
            if not args.json:
                raise  # as before: the first spec Keras refuses ends the command
            message = error_line(exc)[len("error: "):]
            errors = [message]
            exit_code = max(exit_code, exc.exit_code)
        document["errors"] = errors
        document["ok"] = not errors
        if errors:
            exit_code = max(exit_code, 1)
            failed.append(message)
    seconds = time.perf_counter() - t0
    if args.json:
        _print_json({"schema_version": 1, "ok": not failed,
                     "verified": len(specs) - len(failed), "specs": documents,
                     "seconds": round(seconds, 1)})
    else:
        say(f"\n{len(specs) - len(failed)} of {len(specs)} spec(s) verified in "
            f"{seconds:.1f} s (TensorFlow import included)", at=QUIET)
    if failed:
        error = HarnessError(f"{len(failed)} spec(s) do not match their models: "
                             + " | ".join(failed))
        error.exit_code = exit_code
        raise error
    return 0


def _verification_document(result) -> dict:
    """``verify --json``'s figures of one spec: totals and layers, expected beside built."""
    totals = {key: {"expected": result.expected_totals.get(key), "actual": value,
                    "closed_form": (result.closed_form_totals or {}).get(key)}
              for key, value in result.totals.items()}
    layers = [{"name": row.name, "type": row.type,
               "output_shape": {"expected": None if row.expected_shape is None
                                else list(row.expected_shape), "actual": list(row.shape)},
               "params": {"expected": row.expected_params, "actual": row.params,
                          "closed_form": row.closed_form_params},
               "trainable_params": {"expected": row.expected_trainable_params,
                                    "actual": row.trainable_params,
                                    "closed_form": row.closed_form_trainable_params},
               "non_trainable_params": row.non_trainable_params,
               "closed_form_note": row.closed_form_note,
               "ok": not row.problems, "problems": row.problems} for row in result.rows]
    return {"totals": totals, "layers": layers, "unchecked": result.unchecked,
            "notes": result.notes}


def _parity_document(words: str, shape: tuple, result, seconds: float) -> dict:
    return {"inputs": words, "input_shape": list(shape), "ok": result.ok,
            "seconds": round(seconds, 2),
            "layers": [{"name": r.name, "type": r.type, "output_shape": list(r.output_shape),
                        "max_abs_diff": _json_number(r.max_abs_diff), "tolerance": r.atol,
                        "checked": r.checked, "ok": r.ok, "note": r.note}
                       for r in result.rows],
            "problems": result.problems, "notes": result.notes}


def _json_number(value: float | None) -> float | str | None:
    """A float for JSON, which has no NaN or infinity: those as the strings "nan", "inf"."""
    import math

    if value is None:
        return None
    return float(value) if math.isfinite(value) else str(float(value))


PARITY_REVIEWS = 4  # real reviews per parity check: a few seconds per model


def _parity(model, spec, data: str | None) -> tuple[list[tuple], str | None]:
    """Check the model against the NumPy references.

    Inputs: seeded random ones, and with ``--data`` the first PARITY_REVIEWS test reviews at the
    spec's full maxlen (:func:`harness.parity.review_inputs`). Biases are randomized first (a
    fresh model's zero biases would hide a bias-layout error).

    Returns:
        ``(checks, note)``: per batch of inputs ``(words, input shape, ParityResult, seconds)``;
        ``note`` says why nothing was checked (a factory model), else None.
    """
    from .parity import measure_parity, random_inputs, randomize_biases, review_inputs

    if spec.model.factory is not None:
        return [], (f"not checked for {spec.name}: a factory model has no layer list for the "
                    "NumPy references to follow")
    randomize_biases(model, seed=0)
    batches = [("random inputs", random_inputs(spec, seed=0))]
    if data is not None:
        x, words = review_inputs(spec, data, PARITY_REVIEWS)
        batches.append((words, x))
    checks = []
    for words, x in batches:
        t0 = time.perf_counter()
        result = measure_parity(model, spec, x, inputs=words)
        checks.append((words, tuple(x.shape), result, time.perf_counter() - t0))
    return checks, None


def _print_parity(checks: list[tuple], note: str | None) -> None:
    if note is not None:
        say(f"\nNumerical parity: {note}")
    for words, shape, result, seconds in checks:
        status = "ok" if result.ok else "DIFFERS"
        say(f"\nNumerical parity on {words}, input shape {shape}: {status} ({seconds:.1f} s)\n")
        say(result.table())


def _seeds(args: argparse.Namespace, spec) -> list[int]:
    """The seeds of ``harness run``: ``--seed`` (one, or a list), ``--seeds N`` from it."""
    given = args.seed
    count = args.seeds
    if count is not None and given is not None and len(given) > 1:
        raise UsageError("--seeds: give either a list of seeds (--seed 0,3,7) or a count "
                         f"(--seeds {count}), not both")
    if given is not None and len(given) > 1:
        return given
    start = given[0] if given else spec.train.seed
    if count is None:
        count = spec.ci.seeds if args.ci and spec.ci is not None else 1
    return list(range(start, start + count))


def cmd_run(args: argparse.Namespace) -> int:
    from .build import CompiledModels
    from .parallel import Task, run_tasks
    from .pipeline import RunOptions, band_for, run_spec
    from .spec import load_specs

    specs = load_specs(_spec_paths(args.specs))
    if args.ci:
        overrides = [f"--{n.replace('_', '-')}" for n in ("epochs", "train_samples",
                                                          "test_samples")
                     if getattr(args, n) is not None]
        if overrides:
            raise UsageError(f"{', '.join(overrides)}: the CI schedule comes from each spec's ci "
                             "section; drop the option or --ci")
        missing = [s.path for s in specs if s.trains and s.ci is None]
        if missing:
            raise UsageError(f"{', '.join(missing)}: no ci section; --ci runs the ci schedule "
                             "(epochs, band, min_effect, ...) each spec declares")
    if args.resume and (args.seeds or (args.seed and len(args.seed) > 1)):
        raise UsageError("--resume goes on with one interrupted run per spec; drop --seeds and "
                         "seed lists")
    _quiet_tensorflow()
    base = RunOptions(data=args.data, out=args.out or ("reports/ci" if args.ci else "reports"),
                      mode=args.mode, epochs=args.epochs, train_samples=args.train_samples,
                      test_samples=args.test_samples, device=args.device, resume=args.resume,
                      deterministic=args.deterministic,
                      checkpoint_every_epoch=args.checkpoint_every_epoch)
    misses: list[str] = []
    skipped: list[str] = []
    models = CompiledModels()
    shard = matrix = None
    made: list[RunResult] = []
    if args.shard:
        from .shard import parse_shard, select

        if args.resume:
            raise UsageError("--shard: picks part of a matrix of new runs; drop --resume")
        shard = parse_shard(args.shard)
        matrix = [Task(spec, _spec_options(args, spec, base), seed) for spec in specs
                  if spec.trains for seed in _seeds(args, spec)]
        mine = select(matrix, shard)
        say(f"shard {shard}: {len(mine)} of the matrix's {len(matrix)} runs", at=QUIET)
    for spec in specs:
        if not spec.trains:
            _verify_only(spec)
            continue
        options = _spec_options(args, spec, base)
        # A resumed run takes its seed from the run it resumes unless --seed is given.
        seeds = [args.seed[0] if args.seed else None] if args.resume else _seeds(args, spec)
        if shard is not None:
            seeds = [t.seed for t in mine if t.spec.name == spec.name]
            if not seeds:
                continue
        # SIGTERM (kill, timeout, a job scheduler) stops training the way Ctrl-C does.
        try:
            with interrupt_on_signals():
                if len(seeds) == 1 and not args.cluster:  # a NaN loss is an error, as ever
                    runs = [run_spec(spec, dataclasses.replace(options, seed=seeds[0]),
                                     models=models)]
                else:
                    runs = run_tasks([Task(spec, options, s) for s in seeds], _engine(args))
        except MissingDataFile as exc:
            if not args.skip_missing_data:
                raise
            # The main job reproduces what the data on this machine allows; the others are
            # still built and verified, then listed with the file they need and where to get it.
            from .build import build_model
            from .verify import verify_model

            verified = verify_model(build_model(spec), spec)
            say(f"skipped {spec.name} ({spec.path}): verified "
                f"({verified.totals['total_params']:,} params), not trained: {exc}", at=QUIET)
            skipped.append(spec.name)
            continue
        made += runs
        misses.extend(f"{spec.name}: seed {r.execution.seed}: {r.stop_reason}"
                      for r in runs if r.status != "complete")
        if len(runs) > 1:
            say(_seed_statistics(spec, runs, Path(options.out) / spec.name), at=QUIET)
        miss = _band_miss(band_for(spec, runs[0].schedule.to_json_dict()), runs)
        if miss:
            where = "ci.band" if args.ci else "band"
            misses.append(f"{spec.name}: {miss} ({spec.path}: {where})")
    if shard is not None and matrix is not None:
        from .ci_run import write_shard

        write_shard(base.out, shard, matrix, mine, made)
    if skipped:
        say(f"skipped (data not on this machine): {', '.join(skipped)}", at=QUIET)
    if misses:
        print("error: " + "; ".join(misses), file=sys.stderr)
        return 1
    return 0


def _spec_options(args: argparse.Namespace, spec, base):
    """The run options of one spec: ``base``, or its CI schedule with ``--ci``."""
    from .pipeline import RunOptions

    if not args.ci:
        return base
    return RunOptions.for_ci(spec, data=base.data, out=base.out, mode=base.mode,
                             device=base.device, resume=base.resume,
                             deterministic=base.deterministic,
                             checkpoint_every_epoch=base.checkpoint_every_epoch)


def _verify_only(spec) -> None:
    from .build import build_model
    from .verify import verify_model

    result = verify_model(build_model(spec), spec)
    say(f"== {spec.name} ({spec.path}): architecture only, verified "
        f"({result.totals['total_params']:,} params); nothing to train", at=QUIET)


def cmd_bench(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from .bench import BenchOptions, parse_devices, parse_modes, run_bench
    from .spec import load_specs

    devices, modes = parse_devices(args.devices), parse_modes(args.modes)
    specs = load_specs(_spec_paths(args.specs))
    _quiet_tensorflow()
    given = {"rounds": args.rounds, "timed_epochs": args.timed_epochs,
             "latency_repeats": args.latency_repeats, "train_samples": args.train_samples}
    options = BenchOptions(devices=devices, modes=modes, data=args.data, out=args.out,
                           reports=args.reports, benchmark_json=args.benchmark_json,
                           **{k: v for k, v in given.items() if v is not None})
    if args.full_epochs:
        options = replace(options, train_samples=None)
    run_bench(specs, options)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .bench import BENCH_KIND
    from .bench_report import load_bench, load_pytest_benchmark, write_bench_report
    from .results import load_results
    from .runs import publish

    pytest_json = load_pytest_benchmark(args.benchmark_json) if args.benchmark_json else None
    if not args.results and pytest_json is None:
        raise UsageError("report: give a RESULTS_JSON file, or --benchmark-json FILE")
    if not args.results:
        folder = Path(args.out) if args.out else Path(args.benchmark_json).parent
        say(f"report: {write_bench_report(None, folder, pytest_json)}", at=QUIET)
    for path in args.results:
        results = load_results(path)
        folder = Path(args.out) if args.out else Path(path).parent
        if results.get("kind") == BENCH_KIND:
            load_bench(path)  # a mistyped field is one line naming this file and the field
            pytest_results = pytest_json or _bench_pytest_json(results, Path(path))
            say(f"report: {write_bench_report(results, folder, pytest_results)}", at=QUIET)
        else:
            say(f"report: {publish(folder, results, results_json=False)}", at=QUIET)
    return 0


def _bench_pytest_json(results: dict, path: Path) -> dict | None:
    """The pytest-benchmark JSON a bench report was made with, when no --benchmark-json is
    given: the file its results name, else ``pytest-benchmark.json`` beside them (as
    ``tox -e bench`` writes it); None when neither exists."""
    from .bench_report import load_pytest_benchmark

    named = (results.get("settings") or {}).get("benchmark_json")
    for candidate in ([Path(named)] if named else []) + [path.parent / "pytest-benchmark.json"]:
        if candidate.is_file():
            return load_pytest_benchmark(candidate)
    return None


def _band_miss(band, runs: list[RunResult]) -> str | None:
    """A band check on the seed mean (the value itself for one run); None when inside."""
    from .figures import band_value
    from .stats import summarize

    if band is None:
        return None
    summary = summarize([band_value(band, r) for r in runs])
    if summary is None:
        return f"no {band.metric} to check against the band [{band.low}, {band.high}]"
    if band.low <= summary.mean <= band.high:
        return None
    what = f"mean of {summary.n} seeds " if summary.n > 1 else ""
    return (f"{band.metric} {what}= {summary.mean:.4f} outside the band "
            f"[{band.low}, {band.high}]")


def _seed_statistics(spec, runs: list[RunResult], folder: Path) -> str:
    """Print-ready statistics of these seeds. ``folder/seeds.md`` gets those of every complete
    run stored in ``folder/runs/`` that is comparable with them (a baseline grown over time)."""
    from .comparable import identity
    from .report import seeds_section
    from .results import load_run, write_text_atomic

    extra = tuple(b.metric for b in (spec.band, spec.ci and spec.ci.band) if b is not None)
    text = f"## {spec.name}: {len(runs)} seeds\n\n{seeds_section(runs, extra)}\n"
    mine = identity(runs[0])
    stored = [load_run(f) for f in sorted((folder / "runs").glob("*.json"))]
    stored = [r for r in stored if r.status == "complete" and identity(r) == mine]
    stored.sort(key=lambda r: r.execution.seed)  # type: ignore[arg-type,return-value]
    write_text_atomic(folder / "seeds.md", f"## {spec.name}: {len(stored)} comparable runs in "
                      f"runs/\n\n{seeds_section(stored, extra)}\n")
    return text


def _check_verdict_path(path: Path) -> None:
    """Fail when the verdict could not be written there (a folder, or a folder not writable).

    Raises:
        UsageError: names the path and what is in the way.
    """
    from .pipeline import check_writable

    if path.is_dir():
        raise UsageError(f"--verdict {path}: is a folder; pass a file path such as "
                         f"{path / 'verdict.md'}")
    if path.exists() and not path.is_file():
        # the verdict is written to a temporary file and renamed over the path: that would
        # replace a device such as /dev/null
        raise UsageError(f"--verdict {path}: not a regular file; pass a file path such as "
                         "reports/gate/verdict.md")
    if path.suffix == ".json":
        raise UsageError(f"--verdict {path}: the verdict is Markdown; a .json path looks like a "
                         "results file (pass a .md path)")
    check_writable(path.parent, remedy="pass --verdict FILE")


def cmd_gate(args: argparse.Namespace) -> int:
    from .ci_run import not_gated, run_ci
    from .errors import NoBaseline, RegressionDetected
    from .gate import judge, load_run_files, make_groups, render_verdict
    from .results import shown_path, utc_now, write_text_atomic
    from .spec import load_specs

    if args.run == bool(args.results):
        raise UsageError("harness gate: give --results FILE... (results to judge) or --run "
                         "(train each spec's CI schedule first), one of the two")
    shard = None
    if args.shard:
        from .shard import parse_shard

        if not args.run:
            raise UsageError("--shard: picks the part of the matrix to train, with --run; "
                             "--results merges the shards' folders by itself")
        shard = parse_shard(args.shard)
    specs = load_specs(_spec_paths(args.specs))
    _check_verdict_path(Path(args.verdict))  # before any training, not after it
    baseline = Path(args.baseline or DEFAULT_BASELINE)
    if args.baseline is None and not baseline.is_dir():
        baseline = None  # a project without a baseline yet: bands and failure modes only
    elif not baseline.is_dir():
        raise UsageError(f"--baseline {baseline}: no such folder (it holds <spec name>/runs/"
                         "*.json, written by harness run --ci --seeds N --out DIR)")
    references = _references(args.reference)  # before any training: a bad name is one line
    skipped: list[str] = []
    if args.run:
        from .pipeline import RunOptions

        _quiet_tensorflow(now=False)  # training imports it where it runs (here or in workers)
        options = RunOptions(data=args.data, out=args.out, mode=args.mode,
                             deterministic=args.deterministic)
        made, skipped = run_ci(specs, options, baseline, seeds=args.seeds, start=args.seed,
                               engine=_engine(args), shard=shard)
        if shard is not None:  # one part of the matrix: the merge of all parts is judged
            say(f"gate: shard {shard}: {len(made)} run(s) in {args.out}; judge every shard "
                "together with harness gate --results OUT1 OUT2 ... (each shard's --out)",
                at=QUIET)
            return 0
        runs: list[RunResult] = list(made)
    else:
        from .shard import find_manifests, merge

        files = load_run_files(args.results)
        manifests = find_manifests(args.results)
        if manifests:
            files = merge(manifests, files)
            say(f"gate: merged {len(manifests)} shards of matrix {manifests[0].matrix[:12]} "
                f"({len(files)} runs)", sys.stderr if args.json else sys.stdout)
        if Path(args.verdict).resolve() in {f.resolve() for f, _ in files}:
            raise UsageError(f"--verdict {args.verdict}: is one of the results files to judge")
        runs = [doc for _, doc in files]
        judged = {doc.spec.name for _, doc in files}
        skipped = not_gated([s for s in specs if s.name not in judged])
        skipped += [f"{s.name} ({s.path}): gated, but no results of it among those given: "
                    "not judged" for s in specs if s.ci is not None and s.name not in judged]
    groups, not_comparable = make_groups(runs, specs, baseline)
    verdict = judge(groups, not_comparable)
    verdict.skipped = skipped
    verdict.allow_missing_baseline = args.allow_missing_baseline
    verdict.judged_against.append(f"the stored baseline {shown_path(baseline)}" if baseline
                                  else "no stored baseline (bands and failure modes only)")
    if references:
        from .history import open_store
        from .history.drift import guard

        with open_store(args.db, create=False) as store:
            guard(verdict, references, store)
    text = render_verdict(verdict)
    path = write_text_atomic(args.verdict, text)  # first: a reader that leaves early costs
    from .gate import verdict_document  # only output, never the verdict file

    if args.json:
        _print_json(verdict_document(verdict).to_json_dict())
    elif shows(NORMAL):
        print(text)
    else:
        say(verdict.headline(), at=QUIET)  # -q: the verdict's first line; the rest is in --verdict
    from .ci_summary import append_step_summary
    from .history.record import record as record_history

    append_step_summary(text)
    if verdict.groups:  # a verdict that judged nothing has nothing to keep
        record_history({**verdict_document(verdict).to_json_dict(), "created_utc": utc_now()},
                       path)
    if verdict.failed:
        raise RegressionDetected(f"gate: {verdict.failure_count} failure(s): "
                                 + " | ".join(verdict.messages()) + f"; verdict in {path}")
    if verdict.state == "NO BASELINE":
        raise NoBaseline(f"gate: no comparable baseline for {'; '.join(verdict.missing())}; "
                         f"verdict in {path}")
    if verdict.state == "PASS WITHOUT BASELINE":
        print(f"gate: PASS WITHOUT BASELINE (--allow-missing-baseline): "
              f"{'; '.join(verdict.missing())}", file=sys.stderr)
    say(f"gate: {verdict.state.lower()} ({len(groups)} group(s) judged); verdict in {path}",
        sys.stderr if args.json else sys.stdout, at=QUIET)  # --json: stdout is the document
    return 0


def _references(names: Sequence[str] | None) -> list:
    from .history.drift import resolve

    return [resolve(name) for name in names or []]


def cmd_calibrate(args: argparse.Namespace) -> int:
    from .calibrate import (
        calibrate_spec,
        check_calibratable,
        ci_block,
        parse_duration,
        render,
        write_ci_section,
    )
    from .pipeline import RunOptions, check_writable
    from .results import shown_path, write_text_atomic
    from .spec import load_specs

    budget = parse_duration(args.budget)
    specs = load_specs(_spec_paths(args.specs))
    baseline = Path(args.baseline or DEFAULT_BASELINE)
    for spec in specs:  # every spec before any training (a folder of specs)
        check_calibratable(spec, baseline, args.extend)
    check_writable(baseline, remedy="pass --baseline DIR")
    _quiet_tensorflow(now=False)  # --extend 0 trains nothing; training imports it where it runs
    options = RunOptions(data=args.data, mode=args.mode, deterministic=args.deterministic)
    for spec in specs:
        with interrupt_on_signals():
            found = calibrate_spec(spec, options, budget, baseline, engine=_engine(args),
                                   baseline_seeds=args.baseline_seeds, extend=args.extend,
                                   pilot_seeds=args.pilot_seeds, stream=sys.stdout)
        text = render(found)
        path = write_text_atomic(baseline / spec.name / "calibration.md", text)
        say(text)
        if args.extend is None and not args.dry_run:
            choice = found.choice
            write_ci_section(Path(spec.path), ci_block(found), (
                f"CI schedule written by harness calibrate --budget {args.budget}: "
                f"{choice.epochs} epoch(s), {choice.seeds} seeds;\nthe gate detects a drop of "
                f"{choice.detectable:.4f} in {choice.metric} with 80% power against "
                f"{len(found.baseline)} baseline runs\n(report: {shown_path(path)})."))
            say(f"calibrate: wrote the ci section of {spec.path}; report in {path}", at=QUIET)
        else:
            say(f"calibrate: report in {path}", at=QUIET)
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse with a usage error on one line (the whole usage block only with --help)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="harness",
        description="Validate, build, verify, train and report Keras reference models "
        "declared in spec files.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    _verbosity_options(parser, default=NORMAL)
    # -q/-v also after the command (harness run -q ...): a subcommand's copy leaves the value
    # alone unless given (argparse.SUPPRESS), so `harness -q run` stays quiet
    common = argparse.ArgumentParser(add_help=False)
    _verbosity_options(common, default=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_subparser_class(common))

    p = sub.add_parser("validate", help="check spec files against the schema (no TensorFlow)")
    p.add_argument("specs", nargs="*", metavar="SPEC", help="spec files or folders "
                   f"(default: {DEFAULT_SPECS}/)")
    p.add_argument("--json", action="store_true",
                   help="print the valid specs as JSON (path, name, trains, dataset, gated)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("verify", help="build models and compare shapes and params, no training")
    p.add_argument("specs", nargs="*", metavar="SPEC")
    p.add_argument("--no-summary", action="store_true",
                   help="leave out each model's summary (the notebook's model.summary() layout)")
    p.add_argument("--parity", action="store_true",
                   help="also compare every layer's output with its NumPy reference "
                   "(within 1e-5) on random inputs, and on real reviews with --data")
    p.add_argument("--data", metavar="PATH", default=None,
                   help="with --parity: the Stanford IMDB archive or its unpacked folder; a few "
                   "test reviews are checked too")
    p.add_argument("--json", action="store_true",
                   help="print the verification as JSON (per spec: path, ok, totals and layers "
                   "expected beside built, parity with --parity, errors) instead of the tables")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("run", help="validate, build, verify, train, evaluate and report")
    p.add_argument("specs", nargs="*", metavar="SPEC")
    p.add_argument("--data", metavar="PATH", default=None,
                   help="the data of the spec's source: the Stanford IMDB archive "
                   "(aclImdb_v1.tar.gz) or its unpacked folder (default: $HARNESS_IMDB_DATA, "
                   "else keras.datasets.imdb's download), the Jena CSV (default: "
                   "$HARNESS_JENA_DATA, $HARNESS_DATA_DIR, the working directory), an arrays "
                   ".npz (default: data.file)")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="reports folder (default: reports, or reports/ci with --ci)")
    _execution_options(p)
    _jobs_option(p)
    p.add_argument("--ci", action="store_true",
                   help="run each spec's CI schedule (its ci section: epochs, samples, seeds)")
    p.add_argument("--epochs", type=_positive_int, default=None,
                   help="override the spec's epochs")
    p.add_argument("--train-samples", type=_positive_int, default=None, metavar="N",
                   help="use only the first N training reviews")
    p.add_argument("--test-samples", type=_positive_int, default=None, metavar="N",
                   help="evaluate on the first N test reviews only")
    p.add_argument("--seed", type=_seed_list, default=None, metavar="N[,N...]",
                   help="override the spec's seed; a list runs each seed")
    p.add_argument("--seeds", type=_positive_int, default=None, metavar="N",
                   help="run N seeds, from --seed (default: the spec's seed); prints mean, std "
                   "and 95%% CI of each metric")
    p.add_argument("--device", choices=["auto", "cpu", "gpu"], default="auto",
                   help="where to train: auto (TensorFlow's choice, the default), cpu, or gpu "
                   "(an error when TensorFlow sees none)")
    p.add_argument("--resume", action="store_true",
                   help="go on with the newest interrupted run of each spec in --out, from its "
                   "newest checkpoint (options not given are the run's)")
    p.add_argument("--checkpoint-every-epoch", action="store_true",
                   help="write the checkpoint that --resume goes on from after every epoch "
                   "(default: after the first, then as often as 1%% of the training time "
                   "allows, which is every epoch of a full run on a CPU)")
    _shard_option(p)
    p.add_argument("--skip-missing-data", action="store_true",
                   help="list a spec whose data file is not on this machine (the Jena CSV, "
                        "GloVe vectors) as skipped, with where to get it, and go on with the "
                        "others (the main job, tox -e reproduce)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("bench", help="benchmark training and inference per spec, device and "
                       "execution mode; write reports/bench/")
    p.add_argument("specs", nargs="*", metavar="SPEC")
    p.add_argument("--devices", default="cpu,gpu", metavar="LIST",
                   help="comma-separated cpu,gpu (default: both; a missing one is reported as "
                   "skipped with the reason)")
    p.add_argument("--modes", default="default,xla", metavar="LIST",
                   help="comma-separated execution modes: default (Keras's jit_compile='auto'), "
                   "xla (jit_compile=True) (default: both)")
    p.add_argument("--train-samples", type=_positive_int, default=None, metavar="N",
                   help="train on the first N training reviews, split by the spec's "
                   "validation_split (default: 2560)")
    p.add_argument("--full-epochs", action="store_true",
                   help="train on all 25,000 training reviews (overrides --train-samples)")
    p.add_argument("--rounds", type=_positive_int, default=None,
                   help="interleaved rounds of timed epochs per variant (default: 4)")
    p.add_argument("--timed-epochs", type=_positive_int, default=None,
                   help="timed epochs per variant in each round (default: 1)")
    p.add_argument("--latency-repeats", type=_positive_int, default=None, metavar="N",
                   help="timed predict_on_batch calls per batch size (default: 20)")
    p.add_argument("--data", metavar="PATH", default=None,
                   help="Stanford IMDB archive or folder (default: $HARNESS_IMDB_DATA)")
    p.add_argument("--out", metavar="DIR", default="reports/bench",
                   help="results and report folder (default: reports/bench)")
    p.add_argument("--reports", metavar="DIR", default="reports",
                   help="folder of the committed full runs, read for accuracy (default: "
                   "reports)")
    p.add_argument("--benchmark-json", metavar="FILE", default=None,
                   help="a pytest-benchmark JSON file (pytest --benchmark-json) to add to the "
                   "report")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("report", help="re-render report.md and plots from results JSON")
    p.add_argument("results", nargs="*", metavar="RESULTS_JSON")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="write the report here (default: beside the results file)")
    p.add_argument("--benchmark-json", metavar="FILE", default=None,
                   help="add a pytest-benchmark JSON file to a bench report")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("gate", help="judge results against the spec's band and a stored "
                       "baseline: pass, regression, improvement, not comparable")
    p.add_argument("specs", nargs="*", metavar="SPEC",
                   help=f"spec files or folders (default: {DEFAULT_SPECS}/)")
    p.add_argument("--results", nargs="+", metavar="FILE", default=None,
                   help="results files, or folders of runs/*.json, to judge; the folders of "
                   "the shards of a --shard run are merged (each shard once, all of them)")
    p.add_argument("--run", action="store_true",
                   help="first train each spec's CI schedule (ci.seeds seeds, after the "
                   "baseline's), then judge those runs")
    p.add_argument("--baseline", metavar="DIR", default=None,
                   help="baseline runs, DIR/<spec name>/runs/*.json (default: "
                   f"{DEFAULT_BASELINE}, when it exists)")
    p.add_argument("--verdict", metavar="FILE", default="reports/gate/verdict.md",
                   help="write the verdict here as Markdown (default: reports/gate/verdict.md)")
    p.add_argument("--out", metavar="DIR", default="reports/gate",
                   help="with --run: where the runs go (default: reports/gate)")
    p.add_argument("--data", metavar="PATH", default=None,
                   help="with --run: the IMDB archive or folder (default: $HARNESS_IMDB_DATA)")
    _execution_options(p)
    _jobs_option(p)
    _shard_option(p)
    p.add_argument("--seeds", type=_positive_int, default=None, metavar="N",
                   help="with --run: N seeds per spec instead of ci.seeds")
    p.add_argument("--seed", type=_non_negative_int, default=None, metavar="N",
                   help="with --run: the first seed (default: after the baseline's seeds)")
    p.add_argument("--json", action="store_true",
                   help="print the verdict as JSON (state, exit code, every metric's figures); "
                   "the Markdown still goes to --verdict")
    p.add_argument("--allow-missing-baseline", action="store_true",
                   help="exit 0 when a gated metric has no comparable baseline (to bootstrap a "
                   "new spec); the verdict still says so in its first line")
    p.add_argument("--reference", action="append", metavar="REF",
                   help="drift guard: also judge against the runs stored for REF (a tag, "
                   "branch or commit; last-tag: the newest tag) in the results history; "
                   "repeatable")
    p.add_argument("--db", default=None, metavar="URL",
                   help="the results history for --reference (default: $HARNESS_DB, else "
                   ".harness/history.sqlite)")
    p.set_defaults(func=cmd_gate)

    p = sub.add_parser("calibrate", help="choose each spec's CI schedule (epochs, seeds, "
                       "metric) for the smallest detectable regression within a time budget, "
                       "record its baseline runs and write its ci section")
    p.add_argument("specs", nargs="+", metavar="SPEC", help="spec files or folders")
    p.add_argument("--budget", default="3m", metavar="DURATION",
                   help="the gate's time for each spec per CI run on this machine: 90s, 10m, "
                   "1h (default: 3m)")
    p.add_argument("--baseline", metavar="DIR", default=None,
                   help=f"where the baseline runs go (default: {DEFAULT_BASELINE})")
    p.add_argument("--baseline-seeds", type=_positive_int, default=16, metavar="N",
                   help="runs of the chosen schedule the baseline holds (default: 16)")
    p.add_argument("--pilot-seeds", type=_positive_int, default=4, metavar="N",
                   help="seeds of each candidate schedule in the pilot (default: 4)")
    p.add_argument("--extend", type=_non_negative_int, default=None, metavar="N",
                   help="add N seeds of the current ci schedule, run on this machine, to the "
                   "baseline (no pilot; the ci section stays); 0: report on the stored runs")
    p.add_argument("--dry-run", action="store_true",
                   help="record and report, but leave the spec's ci section as it is")
    p.add_argument("--data", metavar="PATH", default=None,
                   help="the IMDB archive or folder (default: $HARNESS_IMDB_DATA)")
    _execution_options(p)
    _jobs_option(p)
    p.set_defaults(func=cmd_calibrate)

    from .history.command import add_parser as add_history_parser

    add_history_parser(sub)
    from .history.publish import add_parser as add_publish_parser

    add_publish_parser(sub)
    return parser


def _verbosity_options(p: argparse.ArgumentParser, default: object) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=QUIET,
                       default=default, help="print only errors and each command's final "
                       "verdict or summary lines (no tables, no per-epoch progress)")
    group.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=VERBOSE,
                       default=default, help="print more detail: Keras's own fit/evaluate "
                       "lines, each data contract check, each layer while a run verifies")


def _subparser_class(common: argparse.ArgumentParser) -> type[argparse.ArgumentParser]:
    """The subcommands' parser class: one-line usage errors, and ``common``'s options."""

    class Sub(_Parser):
        def __init__(self, **kwargs):
            super().__init__(parents=[common], **kwargs)

    return Sub


def _execution_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mode", choices=["xla", "default"], default=None,
                   help="execution mode: xla (jit_compile=True, the fastest here; the default) "
                   "or default (the Keras default)")
    p.add_argument("--deterministic", action="store_true",
                   help="seed everything and turn on TensorFlow op determinism: the same seed "
                   "gives the same history (slower on some devices)")


def _jobs_option(p: argparse.ArgumentParser) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=_positive_int, default=None, metavar="N",
                       help="train N seeds at a time, in N processes that share the cores "
                       "(default: one per core; 1: one after the other in this process)")
    where.add_argument("--cluster", metavar="ADDRESS", default=None,
                       help="train on the workers of a Dask distributed cluster "
                       "(tcp://host:8786; workers started with --nthreads 1); the runs are "
                       "written here as local runs are (needs keras-harness[cluster])")


def _shard_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--shard", metavar="K/N", default=None,
                   help="train only the K-th of N parts of the matrix of specs x seeds (the "
                   "same part on every machine), for a CI matrix of N jobs; writes "
                   "OUT/shards/shard-K-of-N.json; harness gate --results OUT1 OUT2 ... merges "
                   "the shards")


def _engine(args: argparse.Namespace):
    from .parallel import Engine

    return Engine(jobs=args.jobs, cluster=args.cluster)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _seed_list(text: str) -> list[int]:
    seeds = [_non_negative_int(part.strip()) for part in text.split(",")]
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"seeds must differ, got {text!r}")
    return seeds


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 failure, 2 usage or spec error, 3 the gate
    had no comparable baseline for a gated metric, 130 Ctrl-C)."""
    global _DEBUG
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # argparse would blame `harness`; the options belong to the command
        parser.exit(2, f"error: harness {args.command}: unrecognized arguments: "
                    f"{' '.join(unknown)} (see harness {args.command} --help)\n")
    _DEBUG = args.debug
    try:
        with verbosity(args.verbosity):
            return args.func(args)
    except SpecError as exc:
        if args.debug:
            raise
        print(error_line(exc), file=sys.stderr)
        return exc.exit_code
    except HarnessError as exc:
        if args.debug:
            raise
        print(error_line(exc), file=sys.stderr)
        table = getattr(exc, "table", "")
        if table:
            print(table, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("error: interrupted", file=sys.stderr)
        return 130


class _ReaderMayLeave:
    """Standard output that survives its reader going away (``harness gate ... | head -3``): the
    rest of the output goes to the null device, and the command finishes its work (files,
    verdicts, runs) and keeps its own exit code."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._reader_left()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._reader_left()

    def _reader_left(self) -> None:
        os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def entry_point() -> None:
    sys.stdout = _ReaderMayLeave(sys.stdout)
    code = main()
    sys.stdout.flush()
    sys.exit(code)
