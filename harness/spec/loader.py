"""Read spec files: YAML (duplicate keys and self-referring documents refused) into a
:class:`~harness.spec.Spec`, every problem of every file reported at once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import SpecError
from .document import Spec
from .messages import describe_error


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate keys (PyYAML keeps the last one silently), and
    turns PyYAML's crashes on a bad explicitly tagged value (``!!int x``, ``!!float``,
    ``!!timestamp foo``: ValueError, IndexError, AttributeError...) into YAML errors with a line.
    """

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, IndexError, KeyError, AttributeError, TypeError, OverflowError):
            tag = str(node.tag).rsplit(":", 1)[-1]
            value = node.value if isinstance(node, yaml.ScalarNode) else f"a {node.id}"
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {value!r} as !!{tag}", node.start_mark
            ) from None


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"a key must be a plain value, got a {type(key).__name__}",
                key_node.start_mark,
            ) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def load_spec(path: str | Path) -> Spec:
    """Read and validate one spec file.

    Args:
        path: the YAML file.

    Returns:
        The parsed, frozen :class:`Spec`.

    Raises:
        SpecError: the file is missing or unreadable, is not valid YAML (with the line), or breaks
            the schema; the message lists every problem at once.
    """
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(shown, ["no such spec file"]) from None
    except IsADirectoryError:
        raise SpecError(shown, ["is a directory, not a spec file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(shown, [f"cannot read the file ({exc})"]) from None
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise SpecError(shown, [f"{where}YAML syntax error: {exc.problem or exc}"]) from None
    except yaml.YAMLError as exc:
        raise SpecError(shown, [f"YAML syntax error: {exc}"]) from None
    except RecursionError:
        raise SpecError(shown, [f"lists or mappings nested more than {_MAX_DEPTH} deep"]) from None
    return parse_spec(document, shown)


def parse_spec(document: Any, path: str = "<spec>") -> Spec:
    """Validate an already-parsed YAML document; see :func:`load_spec`."""
    if not isinstance(document, dict):
        kind = "an empty file" if document is None else type(document).__name__
        raise SpecError(path, [f"a spec must be a mapping of sections, got {kind}"])
    problem = _shape_problem(document)
    if problem:
        raise SpecError(path, [problem])
    try:
        spec = Spec.model_validate(document)
    except ValidationError as exc:
        raise SpecError(path, [describe_error(err) for err in exc.errors()]) from None
    return spec.model_copy(update={"path": path})


# A spec is 5 levels deep and a few hundred values; far more is a broken file, not a spec.
_MAX_DEPTH = 50
_MAX_VALUES = 100_000


def _shape_problem(document: Any) -> str | None:
    """A document that refers to itself (a YAML alias inside its own anchor), is nested absurdly
    deep, or expands to a huge number of values through aliases ("billion laughs"): pydantic would
    raise ValueError or RecursionError on it, or run for hours, instead of a spec error."""
    stack: list[tuple[Any, int, frozenset[int]]] = [(document, 1, frozenset())]
    seen = 0
    while stack:
        node, depth, above = stack.pop()
        seen += 1
        if seen > _MAX_VALUES:
            return f"more than {_MAX_VALUES:,} values (YAML aliases expanded); not a spec"
        if not isinstance(node, (dict, list)):
            continue
        if id(node) in above:
            return "the document contains itself (a YAML alias inside its own anchor)"
        if depth > _MAX_DEPTH:
            return f"lists or mappings nested more than {_MAX_DEPTH} deep"
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1, above | {id(node)}) for child in children)
    return None


def load_specs(paths: Iterable[str | Path]) -> list[Spec]:
    """Load several spec files, reporting the problems of all of them at once.

    Raises:
        SpecError: one or more files are invalid, or two specs share a name.
    """
    specs: list[Spec] = []
    problems: list[str] = []
    for path in paths:
        try:
            specs.append(load_spec(path))
        except SpecError as exc:
            problems.extend(f"{exc.path}: {p}" for p in exc.problems)
    seen: dict[str, str] = {}
    for spec in specs:
        if spec.name in seen:
            problems.append(
                f"{spec.path}: name: '{spec.name}' is already the name of {seen[spec.name]}; "
                "spec names must be unique (reports are written per name)"
            )
        seen.setdefault(spec.name, spec.path)
    if problems:
        err = SpecError("", [])
        err.problems = problems
        err.args = ("\n".join(problems),)
        raise err
    return specs


def discover_specs(paths: Sequence[str | Path]) -> list[Path]:
    """Expand directories into their ``*.yaml``/``*.yml`` files, sorted; keep files as given."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted([*p.glob("*.yaml"), *p.glob("*.yml")]))
        else:
            found.append(p)
    return found
