"""Error messages of the schema: ``field.path: what is wrong, got X``, with a did-you-mean for near
misses, from pydantic's error details."""

from __future__ import annotations

import json
import math
import re
import types
import typing
from typing import Annotated, Any, Union

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from .base import did_you_mean
from .data import DATASETS
from .document import Spec

_MESSAGES = {
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "dict_type": "must be a mapping",
    "missing": "is required",
    "too_short": "must not be empty",
    "string_pattern_mismatch": "must be lower-case letters, digits, '_' or '-'",
}


def describe_error(err: ErrorDetails) -> str:
    """One pydantic error as a line of the spec error: ``where: what is wrong, got X``."""
    loc = tuple(err["loc"])
    where, parent = _display_path(loc)
    kind = err["type"]
    got = err.get("input")
    if kind == "extra_forbidden":
        key = loc[-1]
        section = where.rsplit(".", 1)[0] if "." in where else "the top level"
        hint = did_you_mean(str(key), _field_names(parent))
        return f"unknown key '{key}' in {section}{hint}"
    if kind == "union_tag_invalid":
        tag = err.get("ctx", {}).get("tag", got)
        hint = did_you_mean(str(tag), DATASETS)
        return f"{where}.dataset: unknown data source '{tag}'{hint} (known: {', '.join(DATASETS)})"
    if kind == "union_tag_not_found":
        return f"{where}.dataset: is required (one of {', '.join(DATASETS)})"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        hint = did_you_mean(str(got), [s.strip(" '") for s in str(expected).split(" or ")])
        hint = hint or ""
        text = f"must be one of {expected}, got {got!r}{hint}"
        return f"{where}: {text}" if where else text
    if kind == "value_error":
        msg = str(err.get("ctx", {}).get("error", err["msg"]))
        parts = []
        for part in msg.split("\n"):
            if not where:
                parts.append(part)
            elif _RELATIVE_PATH.match(part):
                parts.append(f"{where}.{part}")  # the validator named a field below ``where``
            else:
                parts.append(f"{where}: {part}" if where else part)
        return "; ".join(parts)
    template = _MESSAGES.get(kind)
    msg = template.format(**err.get("ctx", {})) if template else err["msg"]
    if kind == "missing":
        return f"{where}: {msg}"
    shown = _show(got)
    return f"{where}: {msg}, got {shown}" if where else f"{msg}, got {shown}"


_RELATIVE_PATH = re.compile(r"^[a-z_]+(\[\d+\])?[.:\[]")


def _show(value: Any) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, default=str)
        return text if len(text) <= 60 else text[:57] + "..."
    return repr(value)


def _display_path(loc: tuple[Any, ...]) -> tuple[str, Any]:
    """``('model', 'layers', 1, 'SimpleRNN', 'units')`` -> ``'model.layers[1].units'``.

    Also returns the model class that holds the last element (for did-you-mean), or None.
    """
    parts: list[str] = []
    tp: Any = Spec
    parent: Any = None
    for part in loc:
        parent = tp
        tp = _unwrap(tp)
        if isinstance(part, int):
            parts.append(f"[{part}]")
            args = typing.get_args(tp)
            tp = args[0] if args else None
            continue
        members = _union_members(tp)
        if members:
            # A discriminated union puts the tag in the location: skip it, descend into it.
            match = next((m for m in members if _tag_of(m) == part), None)
            if match is not None:
                tp = match
                continue
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            parts.append(("." if parts else "") + str(part))
            parent = tp
            tp = field.annotation if field else None
            continue
        parts.append(("." if parts else "") + str(part))
        tp = None
    return "".join(parts), parent


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return tp


def _union_members(tp: Any) -> list[Any]:
    if typing.get_origin(tp) in (Union, types.UnionType):
        return [a for a in typing.get_args(tp) if isinstance(a, type)]
    return []


def _tag_of(cls: Any) -> str | None:
    fields = getattr(cls, "model_fields", {})
    field = fields.get("dataset")  # the tag of the data sources' union
    if field is None:
        return None
    args = typing.get_args(field.annotation)
    return args[0] if args else None


def _field_names(cls: Any) -> list[str]:
    cls = _unwrap(cls)
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return [n for n in cls.model_fields if n != "path"]
    return []
