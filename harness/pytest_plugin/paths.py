"""Which YAML files are spec files (:func:`is_spec_path`), and how a spec file is named."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from pathlib import Path


def is_spec_path(path: Path, base: Path, globs: Sequence[str]) -> bool:
    """Whether ``path``, relative to the folder ``base``, matches one of ``globs``.

    Each glob is matched folder by folder: ``specs/*.yaml`` is ``specs/x.yaml`` under ``base``,
    not ``tests/data/specs/x.yaml`` nor ``specs/sub/x.yaml``; ``**`` matches any number of
    folders (``**/specs/*.yaml``).
    """
    try:
        parts = path.resolve().relative_to(base.resolve()).parts
    except ValueError:
        return False
    return any(_match_parts(parts, tuple(p for p in glob.replace("\\", "/").split("/") if p))
               for glob in globs)


def _match_parts(parts: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_match_parts(parts[i:], pattern[1:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) \
        and _match_parts(parts[1:], pattern[1:])


def display_path(path: Path) -> str:
    """The path as the harness names it: relative to the working directory when under it (so that
    a factory module or an arrays file relative to the spec is found), else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


__all__ = ["display_path", "is_spec_path"]
