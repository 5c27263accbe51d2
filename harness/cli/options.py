"""The command line's parser pieces: one-line usage errors (:class:`Parser`), the options several
subcommands share (verbosity, execution, ``--jobs``/``--cluster``, ``--shard``) and the types of
numeric options."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from ..verbosity import QUIET, VERBOSE


class Parser(argparse.ArgumentParser):
    """argparse with a usage error on one line (the whole usage block only with --help)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def verbosity_options(p: argparse.ArgumentParser, default: object) -> None:
    """``-q``/``-v``: before the command (``default``: NORMAL) and after it (SUPPRESS)."""
    group = p.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=QUIET,
                       default=default, help="print only errors and each command's final "
                       "verdict or summary lines (no tables, no per-epoch progress)")
    group.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=VERBOSE,
                       default=default, help="print more detail: Keras's own fit/evaluate "
                       "lines, each data contract check, each layer while a run verifies")


def subparser_class(common: argparse.ArgumentParser) -> type[argparse.ArgumentParser]:
    """The subcommands' parser class: one-line usage errors, and ``common``'s options."""

    class Sub(Parser):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(parents=[common], **kwargs)

    return Sub


def execution_options(p: argparse.ArgumentParser) -> None:
    """``--mode`` and ``--deterministic``: how seeds train (run, gate --run, calibrate)."""
    p.add_argument("--mode", choices=["xla", "default"], default=None,
                   help="execution mode: xla (jit_compile=True, the fastest here; the default) "
                   "or default (the Keras default)")
    p.add_argument("--deterministic", action="store_true",
                   help="seed everything and turn on TensorFlow op determinism: the same seed "
                   "gives the same history (slower on some devices)")


def jobs_option(p: argparse.ArgumentParser) -> None:
    """``--jobs N`` or ``--cluster ADDRESS``: where seeds train (:func:`.common.make_engine`)."""
    where = p.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                       help="train N seeds at a time, in N processes that share the cores "
                       "(default: one per core; 1: one after the other in this process)")
    where.add_argument("--cluster", type=cluster_address, metavar="ADDRESS", default=None,
                       help="train on the workers of a Dask distributed cluster "
                       "(tcp://host:8786; workers started with --nthreads 1); the runs are "
                       "written here as local runs are (needs keras-harness[cluster])")


def shard_option(p: argparse.ArgumentParser) -> None:
    """``--shard K/N``: one part of the matrix of specs x seeds (:mod:`harness.shard`)."""
    p.add_argument("--shard", metavar="K/N", default=None,
                   help="train only the K-th of N parts of the matrix of specs x seeds (the "
                   "same part on every machine), for a CI matrix of N jobs; writes "
                   "OUT/shards/shard-K-of-N.json; harness gate --results OUT1 OUT2 ... merges "
                   "the shards")


def cluster_address(text: str) -> str:
    """``--cluster ADDRESS``: not empty (an empty one would quietly train here)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty address; give the one 'dask scheduler' "
                                         "prints, such as tcp://HOST:8786")
    return text.strip()


def positive_int(text: str) -> int:
    """An option's value that must be an integer > 0 (argparse's ``type``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def seed_list(text: str) -> list[int]:
    """``--seed 0,3,7``: different seeds, each an integer >= 0."""
    seeds = [non_negative_int(part.strip()) for part in text.split(",")]
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"seeds must differ, got {text!r}")
    return seeds


def non_negative_int(text: str) -> int:
    """An option's value that must be an integer >= 0 (argparse's ``type``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return value


__all__ = ["Parser", "cluster_address", "execution_options", "jobs_option", "non_negative_int",
           "positive_int", "seed_list", "shard_option", "subparser_class", "verbosity_options"]
