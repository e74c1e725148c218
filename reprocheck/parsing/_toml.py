"""TOML for dependency files: the compiled ``tomli`` when installed (3x faster than ``tomllib`` on a
900 kB uv.lock), else the standard library; errors become a ParseIssue with the line.

``LineFinder`` gives lines to parsed values. It indexes the text once (keys, quoted strings, table headers)
so that finding every entry of a 100,000-entry lock stays linear: each look-up is a dictionary hit and a
bisection, never a scan of the text."""

from __future__ import annotations

import bisect
import re
from typing import Any

from reprocheck.model.dockerfile import ParseIssue

from ._shape import Checker

_AT_LINE = re.compile(r"\(at (?:line (\d+)(?:, column \d+)?|end of document)\)")
_LONG_INT = re.compile(r"[0-9_]{4000,}")


def loads(text: str) -> tuple[dict[str, Any] | None, ParseIssue | None]:
    try:
        import tomli as toml
    except ImportError:  # pragma: no cover - depends on the environment
        import tomllib as toml  # type: ignore[no-redef]
    try:
        return toml.loads(text), None
    except toml.TOMLDecodeError as exc:
        m = _AT_LINE.search(str(exc))
        message = _AT_LINE.sub("", str(exc)).strip()
        last = text.rstrip("\n").count("\n") + 1
        line = int(m.group(1)) if m and m.group(1) else (last if m else 1)
        return None, ParseIssue(line, f"invalid TOML: {message}")
    except ValueError:
        # int() refuses more than 4,300 digits (CPython's guard against quadratic conversion)
        m = _LONG_INT.search(text)
        line = text.count("\n", 0, m.start()) + 1 if m else 1
        return None, ParseIssue(line, "invalid TOML: an integer too long to read (more than 4,300 digits)")
    except RecursionError:
        return None, ParseIssue(1, "invalid TOML: arrays or tables nested too deeply to read")


_KEY = re.compile(r"""^[ \t]*("[^"\n]*"|'[^'\n]*'|[A-Za-z0-9_.-]+)[ \t]*=""", re.MULTILINE)
_STRING = re.compile(r""""((?:[^"\\\n]|\\.)*)"|'([^'\n]*)'""")
_HEADER = re.compile(r"^[ \t]*\[(\[?)([^\[\]\n]*)\]", re.MULTILINE)
_BARE_KEY = re.compile(r"[A-Za-z0-9_.-]+")
_SEARCHES = 4  # keys looked for by a search before the text is indexed
_HEADER_PART = re.compile(r"""[ \t]*("[^"]*"|'[^']*'|[^.\s"']+)[ \t]*(?:\.|$)""")


def _first_at(offsets: list[int] | None, start: int) -> int:
    if not offsets:
        return -1
    k = bisect.bisect_left(offsets, max(start, 0))
    return offsets[k] if k < len(offsets) else -1


class LineFinder:
    """Line numbers for values of a parsed document, found through an index of the text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._newlines = [m.start() for m in re.finditer("\n", text)]
        self._keys: dict[str, list[int]] | None = None
        self._searches = 0
        self._strings: dict[str, list[int]] | None = None
        self._tables: dict[tuple[str, ...], int] | None = None
        self._arrays: dict[tuple[str, ...], list[int]] | None = None

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self._newlines, offset - 1) + 1 if offset >= 0 else 1

    # ---- indexes, built on first use

    def _index_headers(self) -> None:
        self._tables, self._arrays = {}, {}
        for m in _HEADER.finditer(self.text):
            parts = tuple(p.group(1).strip("\"'") for p in _HEADER_PART.finditer(m.group(2)) if p.group(1))
            if m.group(1):
                self._arrays.setdefault(parts, []).append(m.start())
            else:
                self._tables.setdefault(parts, m.start())

    def _key_index(self) -> dict[str, list[int]]:
        if self._keys is None:
            self._keys = {}
            for m in _KEY.finditer(self.text):
                self._keys.setdefault(m.group(1).strip("\"'"), []).append(m.start())
        return self._keys

    def _string_index(self) -> dict[str, list[int]]:
        if self._strings is None:
            self._strings = {}
            for m in _STRING.finditer(self.text):
                value = m.group(1) if m.group(1) is not None else m.group(2)
                self._strings.setdefault(value, []).append(m.start())
        return self._strings

    # ---- look-ups

    def headers(self, name: str) -> list[int]:
        """Lines of every ``[[name]]`` (array-of-tables header), in order."""
        if self._arrays is None:
            self._index_headers()
        assert self._arrays is not None
        return [self.line_of(p) for p in self._arrays.get(tuple(name.split(".")), [])]

    def header_offsets(self, name: str) -> list[int]:
        if self._arrays is None:
            self._index_headers()
        assert self._arrays is not None
        return list(self._arrays.get(tuple(name.split(".")), []))

    def table(self, dotted: str) -> int:
        """Offset of a ``[dotted.name]`` header (quoted or bare keys), or -1."""
        if self._tables is None:
            self._index_headers()
        assert self._tables is not None
        return self._tables.get(tuple(dotted.split(".")), -1)

    def key(self, name: str, start: int = 0) -> int:
        """Offset of the first ``name =`` assignment at or after ``start`` (bare or quoted key), or -1."""
        if self._keys is None and self._searches < _SEARCHES and name and "'" not in name and '"' not in name:
            # a lock asks for one or two keys (requires-python): a search, not an index of its 30,000 keys
            self._searches += 1
            return self._search_key(name, start)
        return _first_at(self._key_index().get(name), start)

    def _search_key(self, name: str, start: int) -> int:
        """What the index would give for ``name`` (no quote in it): a key is matched as ``_KEY`` matches
        it, a quoted one with its quotes stripped."""
        escaped = re.escape(name)
        bare = f"|{escaped}" if _BARE_KEY.fullmatch(name) else ""
        pattern = re.compile(rf"""^[ \t]*(?:"'*{escaped}'*"|'"*{escaped}"*'{bare})[ \t]*=""", re.MULTILINE)
        m = pattern.search(self.text, max(start, 0))
        return m.start() if m else -1

    def string(self, value: str, start: int = 0) -> int:
        """Offset of the first quoted occurrence of ``value`` at or after ``start``, or -1."""
        index = self._string_index()
        pos = _first_at(index.get(value), start)
        if pos < 0 and ("\\" in value or '"' in value):
            pos = _first_at(index.get(value.replace("\\", "\\\\").replace('"', '\\"')), start)
        return pos

    def json_key(self, name: str, start: int = 0) -> int:
        """Offset of ``"name":`` (a JSON object key) at or after ``start``, or -1."""
        offsets = self._string_index().get(name)
        if not offsets:
            return -1
        k = bisect.bisect_left(offsets, max(start, 0))
        after = len(name) + 2
        for pos in offsets[k:]:
            if self.text[pos + after : pos + after + 16].lstrip().startswith(":"):
                return pos
        return -1

    def locate(self, key: str, start: int = 0) -> int:
        """Where a key is written: an assignment, a table header naming it, or a quoted JSON key."""
        pos = self.key(key, start)
        if pos < 0:
            pos = self.string(key, start)
        return pos

    def checker(self) -> Checker:
        return Checker(self.locate, self.line_of)
