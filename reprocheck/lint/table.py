"""One validator for every reprocheck configuration table: values checked by kind, each mistake reported as
``file:line: section.key: what is wrong`` at the line of the key *in its own section*.

A key is looked for only inside its section: ``[tool.reprocheck.verify] ignore = 5`` is reported at the
``ignore`` of the verify table, not at the first ``ignore =`` of the file. Sections may be written as headers
(``[tool.reprocheck.smoke]``, or ``[smoke]`` in a reprocheck.toml), as dotted keys (``smoke.timeout = 5``) or
as inline tables (``smoke = { ... }``); the line falls back to the section's own line, then to the file's
first assignment of the key, then to line 1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from reprocheck.errors import ConfigError

_HEADER = re.compile(r"^[ \t]*\[\[?[ \t]*([^\]\n]+?)[ \t]*\]\]?[ \t]*(?:#.*)?$", re.MULTILINE)
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgtKMGT]i?[bB]?|[bB])?$")
_UNITS = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_PREFIXES: tuple[tuple[str, ...], ...] = (("tool", "reprocheck"), ())


def _dotted(name: str) -> tuple[str, ...]:
    parts = re.findall(r"""\s*("[^"]*"|'[^']*'|[^.]+)\s*(?:\.|$)""", name)
    return tuple(p.strip().strip("\"'") for p in parts)


def size_bytes(text: str) -> int:
    """``"512m"``/``"1g"``/``"256MiB"`` -> bytes (Docker's units: k, m, g, t are powers of 1024)."""
    m = _SIZE.match(text.strip())
    if m is None:
        raise ValueError(f"`{text}` is not a size such as 512m or 2g")
    unit = (m.group(2) or "b")[0].lower()
    return int(float(m.group(1)) * _UNITS[unit])


def show_size(n: int) -> str:
    for unit, factor in (("g", 1024**3), ("m", 1024**2), ("k", 1024)):
        if n >= factor and n % factor == 0:
            return f"{n // factor}{unit}"
    return f"{n}b"


class TomlText:
    """Where sections and keys are in a TOML text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.headers = [(_dotted(m.group(1)), m.start(), m.end()) for m in _HEADER.finditer(text)]

    def line_at(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def span(self, section: tuple[str, ...]) -> tuple[int, int, int] | None:
        """(header offset, body start, body end) of ``[section]``; the empty section is the document's top."""
        if not section:
            return 0, 0, self.headers[0][1] if self.headers else len(self.text)
        for i, (name, start, end) in enumerate(self.headers):
            if name == section:
                stop = self.headers[i + 1][1] if i + 1 < len(self.headers) else len(self.text)
                return start, end, stop
        return None

    def assignment(self, key: str, start: int, end: int) -> int | None:
        """Offset of ``key =`` or ``key.sub =`` between start and end."""
        k = re.escape(key)
        pat = re.compile(rf"""^[ \t]*(?:{k}|"{k}"|'{k}')[ \t]*[=.]""", re.MULTILINE)
        m = pat.search(self.text, start, end)
        return m.start() if m else None

    def find(self, section: tuple[str, ...], key: str | None) -> int | None:
        """The line of ``key`` in ``section`` (of the section's header when key is None), or None."""
        for prefix in _PREFIXES:
            full = prefix + section
            span = self.span(full)
            if span is None:
                continue
            header, body, stop = span
            if key is None:
                if full:
                    return self.line_at(header)
                continue
            found = self.assignment(key, body, stop)
            if found is not None:
                return self.line_at(found)
            for name, start, _ in self.headers:  # [section.key] or [section.key.more]
                if name[: len(full) + 1] == (*full, key):
                    return self.line_at(start)
            if full:
                return self.line_at(header)
        if section:  # no header: dotted keys or an inline table in the parent section
            for prefix in _PREFIXES:
                for name, start, _ in self.headers:  # but [section.key] may still have one
                    if key is not None and name[: len(prefix + section) + 1] == (*prefix, *section, key):
                        return self.line_at(start)
            for prefix in _PREFIXES:
                span = self.span(prefix + section[:-1])
                if span is None:
                    continue
                _, body, stop = span
                if key is not None:
                    dotted = self._dotted_assignment(section[-1], key, body, stop)
                    if dotted is not None:
                        return self.line_at(dotted)
                whole = self.assignment(section[-1], body, stop)
                if whole is not None:
                    return self.line_at(whole)
        return None

    def _dotted_assignment(self, table: str, key: str, start: int, end: int) -> int | None:
        t, k = re.escape(table), re.escape(key)
        pat = re.compile(rf"""^[ \t]*(?:{t}|"{t}"|'{t}')[ \t]*\.[ \t]*(?:{k}|"{k}"|'{k}')[ \t]*[=.]""", re.MULTILINE)
        m = pat.search(self.text, start, end)
        return m.start() if m else None

    def anywhere(self, key: str) -> int | None:
        found = self.assignment(key, 0, len(self.text))
        return self.line_at(found) if found is not None else None


class ConfigTable:
    """One table of a config file (``section`` dotted below ``[tool.reprocheck]``; "" for the top) with the
    validators every spec parser uses."""

    def __init__(self, data: Mapping[str, Any], where: str, text: str | TomlText = "", section: str = "") -> None:
        self.data = data
        self.where = where
        self.section = section
        self._path = tuple(p for p in section.split(".") if p)
        self._toml = text if isinstance(text, TomlText) else TomlText(text)

    # ---- lines and errors

    def line(self, key: str | None = None) -> int:
        toml = self._toml
        if key is not None:
            found = toml.find(self._path, key)
            if found is not None:
                return found
        own = toml.find(self._path, None)
        if own is not None:
            return own
        return (toml.anywhere(key) if key is not None else None) or 1

    def name(self, key: str) -> str:
        return f"{self.section}.{key}" if self.section else key

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.name(key)}: {message}", path=self.where, line=self.line(key))

    def failer(self, key: str) -> Callable[[str], ConfigError]:
        return lambda message: self.error(key, message)

    def sub(self, key: str) -> ConfigTable:
        """The nested table ``key`` (which must be a table)."""
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, "must be a table")
        return ConfigTable(value, self.where, self._toml, f"{self.section}.{key}" if self.section else key)

    def lines(self, keys: Iterable[str]) -> dict[str, int]:
        out = {k: self.line(k) for k in keys}
        out[""] = self.line(None)
        return out

    # ---- validators

    def unknown(self, known: Iterable[str]) -> None:
        names = set(known)
        for key in self.data:
            if key not in names:
                raise self.error(key, f"unknown key (known keys: {', '.join(sorted(names))})")

    def string(self, key: str, default: str | None = None, choices: Iterable[str] | None = None) -> str | None:
        value = self.data.get(key, default)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(key, "must be a string")
        if "\0" in value:
            raise self.error(key, "must not contain a NUL character")
        allowed = tuple(choices or ())
        if allowed and value not in allowed:
            raise self.error(key, f"must be one of {', '.join(allowed)}")
        return value

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, "must be true or false")
        return value

    def number(
        self,
        key: str,
        default: float,
        minimum: float = 0.0,
        maximum: float = math.inf,
        integer: bool = False,
        unit: str = "",
    ) -> float:
        value = self.data.get(key, default)
        kind = "a whole number" if integer else "a number"
        bounds = f"from {minimum:g} to {maximum:g}{unit}" if math.isfinite(maximum) else f">= {minimum:g}{unit}"
        if isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int)):
            raise self.error(key, f"must be {kind} {bounds}")
        if not math.isfinite(value):
            raise self.error(key, f"must be a finite number {bounds}, not {value}")
        if not minimum <= value <= maximum:
            raise self.error(key, f"must be {kind} {bounds}, not {value:g}")
        return float(value)

    def size(self, key: str, default: str, minimum: int, maximum: int) -> int:
        """A size in bytes (``"512m"``, ``"2g"``, or a number of bytes)."""
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.error(key, "must be a size such as 512m or 2g")
        try:
            n = value if isinstance(value, int) else size_bytes(value)
        except ValueError as exc:
            raise self.error(key, str(exc)) from None
        if not minimum <= n <= maximum:
            raise self.error(key, f"must be from {show_size(minimum)} to {show_size(maximum)}, not `{value}`")
        return n

    def strings(self, key: str, default: Iterable[str] = (), single: bool = False) -> tuple[str, ...]:
        value = self.data.get(key, list(default))
        if single and isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v and "\0" not in v for v in value):
            what = "a string or a list of strings" if single else "a list of strings"
            raise self.error(key, f"must be {what}")
        return tuple(value)

    def str_table(self, key: str) -> dict[str, str]:
        value = self.data.get(key, {})
        if not isinstance(value, dict) or not all(
            isinstance(v, str | int) or (isinstance(v, float) and math.isfinite(v)) for v in value.values()
        ):
            raise self.error(key, "must be a table of names to strings")
        out = {str(k): str(v) for k, v in value.items() if not isinstance(v, bool)}
        if len(out) != len(value):
            raise self.error(key, "must be a table of names to strings")
        for k, v in out.items():
            if not k or "=" in k or "\0" in k or "\0" in v:
                raise self.error(key, f"`{k}` is not a valid name (no `=`, no NUL)")
        return out
