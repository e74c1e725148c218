"""Type checks at a parser's boundary: the shape a dependency file must have, declared once per format.

A TOML, JSON or YAML document can hold anything where a table is expected (``wheels = true``,
``{"_meta": 1}``). ``check`` walks the document along a small schema and returns a copy where every value
of a wrong type is dropped, with one ParseIssue per dropped value ("`wheels` must be a list of tables") at
the line of its key; the parser then reads well-typed data only, and so do the rules after it.

Schemas are plain values: ``str``, ``int``, ``bool``, ``float``, ``ANY``; ``[S]`` a list whose items match
``S``; ``{key: S}`` a table with those keys checked (other keys kept as they are); ``Map(S)`` a table
whose every value matches ``S``; ``OneOf(S1, S2, ...)`` any of them.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

from reprocheck.model.dockerfile import ParseIssue


class _Any:
    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _Any()


class Map:
    """A table of arbitrary keys whose values match ``value``."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class OneOf:
    __slots__ = ("options",)

    def __init__(self, *options: Any) -> None:
        self.options = options


_NAMES = {str: "a string", int: "an integer", bool: "true or false", float: "a number", list: "a list", dict: "a table"}
_PLURALS = {str: "strings", int: "integers", bool: "booleans", float: "numbers", list: "lists", dict: "tables"}


def describe(schema: Any) -> str:
    """``a list of tables``, ``a string``... as a message says what was expected."""
    if isinstance(schema, type):
        return _NAMES.get(schema, schema.__name__)
    if isinstance(schema, list):
        inner = schema[0]
        if isinstance(inner, (dict, Map)):
            return "a list of tables"
        if isinstance(inner, type):
            return f"a list of {_PLURALS.get(inner, inner.__name__)}"
        return "a list"
    if isinstance(schema, (dict, Map)):
        return "a table"
    if isinstance(schema, OneOf):
        return " or ".join(describe(o) for o in schema.options)
    return "something else"


def _matches_type(value: Any, schema: Any) -> bool:
    if schema is ANY:
        return True
    if isinstance(schema, type):
        if schema is int:
            return isinstance(value, int) and not isinstance(value, bool)
        if schema is float:
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        return isinstance(value, schema)
    if isinstance(schema, list):
        return isinstance(value, list)
    if isinstance(schema, (dict, Map)):
        return isinstance(value, dict)
    if isinstance(schema, OneOf):
        return any(_matches_type(value, o) for o in schema.options)
    return False


# Where a value is written, found only when an issue must be placed: an offset, or a table not located yet
# (its key, looked for from where the enclosing table starts). Locating every table eagerly (every wheel of
# a 100,000-entry lock) cost more than the rest of the check.
Anchor = int | tuple[str, "Anchor"]


class Checker:
    """Walks one document. ``locate(key, start)`` gives the offset of a key's text at or after ``start``
    (-1 when not found); ``line_of(offset)`` its line."""

    def __init__(self, locate: Callable[[str, int], int], line_of: Callable[[int], int]) -> None:
        self.locate = locate
        self.line_of = line_of
        self.issues: list[ParseIssue] = []
        self._said: set[tuple[int, str]] = set()

    def _offset(self, at: Anchor) -> int:
        if isinstance(at, int):
            return at
        key, outer = at
        start = self._offset(outer)
        here = self.locate(key, start)
        return here if here >= 0 else start

    def bad(self, key: str, schema: Any, at: Anchor) -> None:
        start = self._offset(at)
        pos = self.locate(key, start) if key else -1
        line = self.line_of(pos if pos >= 0 else start)
        message = f"`{key}` must be {describe(schema)}" if key else f"the document must be {describe(schema)}"
        if (line, message) not in self._said:  # one issue per line and problem, however many items
            self._said.add((line, message))
            self.issues.append(ParseIssue(line, message))

    def check(self, value: Any, schema: Any, key: str = "", start: int = 0) -> tuple[bool, Any]:
        """(whether ``value`` has the shape, the value with its wrongly typed parts dropped)."""
        return self._check(value, schema, key, start)

    def _check(self, value: Any, schema: Any, key: str, at: Anchor) -> tuple[bool, Any]:
        if isinstance(schema, type):  # a leaf, the most frequent case
            if (schema is str and isinstance(value, str)) or _matches_type(value, schema):
                return True, value
            self.bad(key, schema, at)
            return False, None
        if not _matches_type(value, schema):
            self.bad(key, schema, at)
            return False, None
        if isinstance(schema, OneOf):
            for option in schema.options:
                if _matches_type(value, option):
                    return self._check(value, option, key, at)
        if isinstance(schema, list):
            inner = schema[0]
            out = []
            for item in value:
                if not _matches_type(item, inner):
                    self.bad(key, schema, at)  # "`wheels` must be a list of tables", not "a table"
                    continue
                ok, clean = self._check(item, inner, key, at)
                if ok:
                    out.append(clean)
            return True, out
        if isinstance(schema, (Map, dict)) and key:
            # keys inside this table are looked for from where it starts, and reported there when not found
            at = (key, at)
        if isinstance(schema, Map):
            table: dict[str, Any] = {}
            for k, v in value.items():
                ok, clean = self._check(v, schema.value, str(k), at)
                if ok:
                    table[k] = clean
            return True, table
        if isinstance(schema, dict):
            table = {}
            for k, v in value.items():
                if k in schema:
                    ok, clean = self._check(v, schema[k], str(k), at)
                    if ok:
                        table[k] = clean
                else:
                    table[k] = v
            return True, table
        return True, value

    def items(self, values: list[Any], schema: Any, key: str, starts: list[int]) -> list[Any]:
        """Check each item of an array of tables against ``schema``, each from its own header offset."""
        out = []
        for k, item in enumerate(values):
            ok, clean = self.check(item, schema, key, starts[k] if k < len(starts) else 0)
            if ok:
                out.append(clean)
        return out


def jsonable(value: Any) -> Any:
    """TOML dates and times as the strings they were written as (hashes of a document go through JSON)."""
    try:
        return _jsonable(value)
    except RecursionError:
        return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}
