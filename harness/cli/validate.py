"""``harness validate``: check spec files against the schema (no TensorFlow)."""

from __future__ import annotations

import argparse
import time

from ..verbosity import QUIET, VERBOSE, say
from .common import DEFAULT_SPECS, print_json, spec_paths


def cmd_validate(args: argparse.Namespace) -> int:
    from ..spec import load_specs

    t0 = time.perf_counter()
    specs = load_specs(spec_paths(args.specs))
    if args.json:
        print_json({"schema_version": 1, "valid": [
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


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``validate`` to the CLI's subcommands (``sub``: argparse's subparsers action)."""
    p = sub.add_parser("validate", help="check spec files against the schema (no TensorFlow)")
    p.add_argument("specs", nargs="*", metavar="SPEC", help="spec files or folders "
                   f"(default: {DEFAULT_SPECS}/)")
    p.add_argument("--json", action="store_true",
                   help="print the valid specs as JSON (path, name, trains, dataset, gated)")
    p.set_defaults(func=cmd_validate)

