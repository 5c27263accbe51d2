"""``harness verify``: build each spec's model and compare its shapes and parameter counts
with the spec (``--parity``: every layer's output with its NumPy reference); ``--json`` prints
one document instead of the tables."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from ..errors import HarnessError, UsageError, error_line
from ..verbosity import QUIET, say
from .common import print_json, quiet_tensorflow, spec_paths

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from ..parity import ParityResult
    from ..spec import Spec
    from ..verify import Verification

# One parity check: the inputs in words, their shape, the result, its wall time (s).
ParityCheck = tuple[str, tuple[int, ...], "ParityResult", float]


def cmd_verify(args: argparse.Namespace) -> int:
    from ..spec import load_specs

    if args.data is not None and not args.parity:
        raise UsageError(f"--data {args.data}: real reviews are used only by the parity check; "
                         "add --parity")
    specs = load_specs(spec_paths(args.specs))
    t0 = time.perf_counter()
    quiet_tensorflow()
    from ..build import build_model
    from ..verify import architecture_table, measure, summary_table

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
        print_json({"schema_version": 1, "ok": not failed,
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


def _verification_document(result: Verification) -> dict[str, Any]:
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


def _parity_document(words: str, shape: tuple[int, ...], result: ParityResult,
                     seconds: float) -> dict[str, Any]:
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


def _parity(model: keras.Model, spec: Spec, data: str | None
            ) -> tuple[list[ParityCheck], str | None]:
    """Check the model against the NumPy references.

    Inputs: seeded random ones, and with ``--data`` the first PARITY_REVIEWS test reviews at the
    spec's full maxlen (:func:`harness.parity.review_inputs`). Biases are randomized first (a
    fresh model's zero biases would hide a bias-layout error).

    Returns:
        ``(checks, note)``: per batch of inputs ``(words, input shape, ParityResult, seconds)``;
        ``note`` says why nothing was checked (a factory model), else None.
    """
    from ..parity import measure_parity, random_inputs, randomize_biases, review_inputs

    if spec.model.factory is not None:
        return [], (f"not checked for {spec.name}: a factory model has no layer list for the "
                    "NumPy references to follow")
    randomize_biases(model, seed=0)
    batches = [("random inputs", random_inputs(spec, seed=0))]
    if data is not None:
        x, words = review_inputs(spec, data, PARITY_REVIEWS)
        batches.append((words, x))
    checks: list[ParityCheck] = []
    for words, x in batches:
        t0 = time.perf_counter()
        result = measure_parity(model, spec, x, inputs=words)
        checks.append((words, tuple(x.shape), result, time.perf_counter() - t0))
    return checks, None


def _print_parity(checks: list[ParityCheck], note: str | None) -> None:
    if note is not None:
        say(f"\nNumerical parity: {note}")
    for words, shape, result, seconds in checks:
        status = "ok" if result.ok else "DIFFERS"
        say(f"\nNumerical parity on {words}, input shape {shape}: {status} ({seconds:.1f} s)\n")
        say(result.table())


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``verify`` to the CLI's subcommands (``sub``: argparse's subparsers action)."""
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

