"""TOML for dependency files: the compiled ``tomli`` when installed (3x faster than ``tomllib`` on a
900 kB uv.lock), else the standard library; errors become a ParseIssue with the line."""

from __future__ import annotations

import re
from typing import Any

from reprocheck.model.dockerfile import ParseIssue

_AT_LINE = re.compile(r"\(at (?:line (\d+)(?:, column \d+)?|end of document)\)")


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


class LineFinder:
    """Line numbers for values of a parsed document, found by scanning the text in document order."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._newlines = [m.start() for m in re.finditer("\n", text)]

    def line_of(self, offset: int) -> int:
        import bisect

        return bisect.bisect_right(self._newlines, offset - 1) + 1 if offset >= 0 else 1

    def headers(self, name: str) -> list[int]:
        """Lines of every ``[[name]]`` (array-of-tables header), in order."""
        pat = re.compile(rf"^[ \t]*\[\[[ \t]*{re.escape(name)}[ \t]*\]\]", re.MULTILINE)
        return [self.line_of(m.start()) for m in pat.finditer(self.text)]

    def table(self, dotted: str) -> int:
        """Offset of a ``[dotted.name]`` header (quoted or bare keys), or -1."""
        parts = [re.escape(p) for p in dotted.split(".")]
        sep = r"[ \t]*\.[ \t]*"
        keys = sep.join(rf"(?:{p}|\"{p}\"|'{p}')" for p in parts)
        m = re.search(rf"^[ \t]*\[[ \t]*{keys}[ \t]*\]", self.text, re.MULTILINE)
        return m.start() if m else -1

    def key(self, name: str, start: int = 0) -> int:
        """Offset of the first ``name =`` assignment at or after ``start`` (bare or quoted key), or -1."""
        m = re.compile(
            rf"""^[ \t]*(?:{re.escape(name)}|"{re.escape(name)}"|'{re.escape(name)}')[ \t]*=""", re.MULTILINE
        )
        found = m.search(self.text, max(start, 0))
        return found.start() if found else -1

    def string(self, value: str, start: int = 0) -> int:
        """Offset of the first quoted occurrence of ``value`` at or after ``start``, or -1."""
        for quoted in (f'"{value}"', f"'{value}'", f'"""{value}', value):
            pos = self.text.find(quoted, max(start, 0))
            if pos >= 0:
                return pos
        return -1
