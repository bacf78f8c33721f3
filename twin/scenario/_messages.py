"""Turn pydantic's validation errors into one line per problem, for the person editing YAML.

Each line reads ``{file}: {dotted.key.path}: {what is wrong and what to do}``. The field's
``description`` in the schema explains the unit or meaning; unknown keys and values get a
"did you mean" from :mod:`difflib`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import types
import typing
from collections.abc import Collection, Sequence
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from twin.scenario.schema import Scenario

__all__ = ["MAX_LINES", "format_validation_error", "key_path", "one_line", "show"]

#: More lines than this would scroll the first, most useful ones off the screen.
MAX_LINES = 10

Loc = Sequence[int | str]


def one_line(text: str) -> str:
    """Escape line breaks and other unprintable characters so ``text`` stays on one line."""
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


def show(value: Any, *, limit: int = 60) -> str:
    """Show a YAML value the way the user would write it, shortened to ``limit`` characters."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = repr(value)
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def key_path(parts: Sequence[Any]) -> str:
    """Join key parts with dots; keys that would be ambiguous in a dotted path are quoted."""
    shown = []
    for part in parts:
        plain = isinstance(part, int) or (
            isinstance(part, str) and part and "." not in part and part.isprintable()
        )
        shown.append(str(part) if plain else show(part, limit=40))
    return ".".join(shown) if shown else "(top level)"


# ------------------------------------------------------------ walking the schema


def _strip_optional(tp: Any) -> Any:
    """``X | None`` -> ``X``; ``Annotated[X, ...]`` -> ``X``; unions of several stay."""
    while True:
        if typing.get_origin(tp) is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(tp) if arg is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _tags(tp: Any) -> list[str]:
    """The ``kind`` values of a discriminated union of models."""
    tp = _strip_optional(tp)
    tags = []
    for member in typing.get_args(tp) if not _is_model(tp) else (tp,):
        if _is_model(member) and "kind" in member.model_fields:
            tags.extend(typing.get_args(member.model_fields["kind"].annotation))
    return tags


class _Place:
    """Where an error location points in the schema: shown path, field, and its type."""

    def __init__(self, loc: Loc) -> None:
        self.parts: list[Any] = []
        self.field: FieldInfo | None = None
        self.type: Any = Scenario
        for elem in loc:
            tp = _strip_optional(self.type)
            if _is_model(tp) and elem in tp.model_fields:
                self.field = tp.model_fields[elem]
                self.type = self.field.annotation
            elif typing.get_origin(tp) in (typing.Union, types.UnionType) and elem in _tags(tp):
                # A discriminated union puts the tag in the location; the user never wrote it.
                self.type = next(m for m in typing.get_args(tp) if elem in _tags(m))
                continue
            elif typing.get_origin(tp) is list:
                self.field, self.type = None, typing.get_args(tp)[0]
            elif typing.get_origin(tp) is dict:
                self.field, self.type = None, typing.get_args(tp)[1]
            else:
                self.field, self.type = None, None
            self.parts.append(elem)

    @property
    def description(self) -> str:
        return f" ({self.field.description})" if self.field and self.field.description else ""

    def is_float(self) -> bool:
        return _strip_optional(self.type) is float

    def number(self, value: Any) -> str:
        if self.is_float() and isinstance(value, int | float) and not isinstance(value, bool):
            return repr(float(value))
        return show(value)

    def _metadata(self) -> list[Any]:
        """Constraints of the field, or of an ``Annotated`` item type such as a share."""
        if self.field is not None:
            return list(self.field.metadata)
        if typing.get_origin(self.type) is typing.Annotated:
            infos = typing.get_args(self.type)[1:]
            return [item for info in infos if isinstance(info, FieldInfo) for item in info.metadata]
        return []

    def range_hint(self) -> str:
        """``"; use a value from 0.0 to 1.0"``, from the field's bounds."""
        bounds: dict[type, str] = {}
        for item in self._metadata():
            for kind, attr in ((Ge, "ge"), (Gt, "gt"), (Le, "le"), (Lt, "lt")):
                if isinstance(item, kind):
                    bounds[kind] = self.number(getattr(item, attr))
        if Ge in bounds and Le in bounds:
            return f"; use a value from {bounds[Ge]} to {bounds[Le]}"
        words = [
            f"{phrase} {bounds[kind]}"
            for kind, phrase in ((Ge, "at least"), (Gt, "above"), (Le, "at most"), (Lt, "below"))
            if kind in bounds
        ]
        return f"; use a value {' and '.join(words)}" if words else ""

    def literal_values(self) -> list[Any]:
        tp = _strip_optional(self.type)
        return list(typing.get_args(tp)) if typing.get_origin(tp) is typing.Literal else []


def _suggest(word: Any, choices: Sequence[Any]) -> str:
    """``"did you mean 'x'?"`` or ``"use one of 'a', 'b'"``."""
    names = [str(choice) for choice in choices]
    close = difflib.get_close_matches(str(word), names, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return "use one of " + ", ".join(repr(name) for name in names)


# ------------------------------------------------------------------ messages


def _message(error: dict[str, Any]) -> tuple[list[Any], str]:
    """The shown key path and the text of one pydantic error."""
    kind, loc, value = error["type"], tuple(error["loc"]), error.get("input")
    ctx = error.get("ctx") or {}

    if loc and loc[-1] == "[key]":
        # A bad key of a dict field, e.g. income_shares: {lowx: 0.3}.
        place = _Place(loc[:-2])
        key_type = typing.get_args(_strip_optional(place.type))
        allowed = typing.get_args(key_type[0]) if key_type else ()
        if kind == "literal_error" and allowed:
            return place.parts, f"unknown key {show(loc[-2])}; {_suggest(loc[-2], allowed)}"
        return place.parts, f"the key {show(loc[-2])} is not valid: {error['msg']}"

    place = _Place(loc)
    about = place.description
    v = show(value)

    if kind == "extra_forbidden":
        parent = _strip_optional(_Place(loc[:-1]).type)
        valid = list(parent.model_fields) if _is_model(parent) else []
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.6)
        hint = (
            f"did you mean {close[0]!r}?" if close else "valid keys here: " + ", ".join(valid)
        )
        return place.parts, f"unknown key {show(loc[-1])}; {hint}"
    if kind == "missing":
        name = key_path(place.parts[-1:])
        return place.parts, f"required key is missing; add {name}:{about}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound_key, phrase = {
            "greater_than_equal": ("ge", "is below"),
            "greater_than": ("gt", "must be above"),
            "less_than_equal": ("le", "is above"),
            "less_than": ("lt", "must be below"),
        }[kind]
        bound = place.number(ctx.get(bound_key))
        return place.parts, f"{v} {phrase} {bound}{about}{place.range_hint()}"
    if kind == "finite_number":
        return place.parts, f"{v} is not a finite number{about}{place.range_hint()}"
    if kind in ("int_parsing", "int_type", "int_from_float", "int_parsing_size"):
        return place.parts, f"{v} is not a whole number{about}"
    if kind in ("float_parsing", "float_type"):
        return place.parts, f"{v} is not a number{about}"
    if kind in ("bool_parsing", "bool_type"):
        return place.parts, f"{v} is not true or false{about}"
    if kind == "string_type":
        return place.parts, f"{v} is not text; put it in quotes{about}"
    if kind == "string_too_short":
        wanted = place.field.description if place.field and place.field.description else "a value"
        return place.parts, f"is empty; give {wanted}"
    if kind == "literal_error":
        allowed = place.literal_values()
        hint = _suggest(value, allowed) if allowed else f"use {ctx.get('expected', '')}"
        return place.parts, f"{v} is not allowed; {hint}"
    if kind == "date_from_datetime_inexact":
        return place.parts, f"{v} has a time of day; give just the date, like 2026-01-15"
    if kind.startswith("date_") or kind.startswith("datetime_"):
        return place.parts, f"{v} is not a date; write it like 2026-01-15"
    if kind == "path_type":
        return place.parts, f"{v} is not a file path; write the path as text{about}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = ", ".join(repr(tag) for tag in _tags(place.type))
        parts = [*place.parts, "kind"]
        if kind == "union_tag_not_found":
            return parts, f"required key is missing; add kind: with one of {tags}"
        tag = ctx.get("tag", value)
        return parts, f"{show(tag)} is not a known kind; {_suggest(tag, _tags(place.type))}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return place.parts, f"expected key: value settings{about}, got {v}"
    if kind == "list_type":
        return place.parts, f"expected a list (lines starting with '- '){about}, got {v}"
    if kind == "recursion_loop":
        return place.parts, "the value refers to itself through a YAML alias; write it out"
    if kind == "value_error":
        return place.parts, str(ctx.get("error", error["msg"]))
    if kind == "scenario_rule" and ctx.get("at"):
        return [*place.parts, ctx["at"]], error["msg"]
    return place.parts, error["msg"]


def format_validation_error(
    exc: ValidationError, *, source: str, overridden: Collection[Sequence[str]] = ()
) -> str:
    """One line per problem in ``exc``, at most :data:`MAX_LINES` of them.

    Parameters
    ----------
    exc
        The error raised by validating a :class:`~twin.scenario.schema.Scenario`.
    source
        The scenario file, as the user named it; every line starts with it.
    overridden
        Key paths set by ``--set`` overrides; problems at or below them say so.

    Returns
    -------
    str
        The lines joined by ``"\\n"``.
    """
    lines: list[str] = []
    for error in exc.errors(include_url=False):
        parts, text = _message(error)
        line = f"{one_line(source)}: {key_path(parts)}: {one_line(text)}"
        if from_set(parts, overridden):
            line += " (from --set)"
        if line not in lines:
            lines.append(line)
    if len(lines) > MAX_LINES:
        more = len(lines) - (MAX_LINES - 1)
        lines = [*lines[: MAX_LINES - 1], f"{one_line(source)}: ... and {more} more problems"]
    return "\n".join(lines)


def from_set(parts: Sequence[Any], overridden: Collection[Sequence[str]]) -> bool:
    """Whether the key path ``parts`` lies at or below one of the ``overridden`` paths."""
    shown = [str(part) for part in parts]
    return any(shown[: len(keys)] == list(keys) for keys in overridden if keys)

