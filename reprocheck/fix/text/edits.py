"""Edits on the original text: each replaces a span of one line, so everything else stays byte for byte.

A file is held as its lines *with* their endings; an edit names a line (1-based) and a span of columns
(0-based character offsets into the line without its ending). A ``\n`` in a replacement becomes the
line ending of the line it is written into, so CRLF files stay CRLF.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``line[start_col:end_col]`` (the line without its ending) by ``replacement``."""

    path: str
    line: int
    start_col: int
    end_col: int
    replacement: str
    rule: str = ""
    note: str = ""  # what the edit does, for the summary
    safe: bool | None = None  # None: the rule's fix kind decides; True/False: this edit's own


@dataclass(frozen=True, slots=True)
class Source:
    """A file as read: its text (undecodable bytes kept as surrogates) split into lines with endings."""

    path: str
    text: str
    lines: tuple[str, ...]
    bom: bool = False

    @classmethod
    def from_bytes(cls, path: str, data: bytes) -> Source:
        text = data.decode("utf-8", errors="surrogateescape")
        bom = text.startswith(BOM)
        if bom:
            text = text[1:]
        return cls(path, text, tuple(text.splitlines(keepends=True)), bom)

    def line(self, number: int) -> str:
        """Line ``number`` (1-based) without its ending; empty past the end."""
        if 1 <= number <= len(self.lines):
            return _strip_ending(self.lines[number - 1])
        return ""

    def ending(self, number: int) -> str:
        """The line ending of line ``number``, or of the file when that line has none."""
        if 1 <= number <= len(self.lines):
            raw = self.lines[number - 1]
            ending = raw[len(_strip_ending(raw)) :]
            if ending:
                return ending
        for raw in self.lines:
            ending = raw[len(_strip_ending(raw)) :]
            if ending:
                return ending
        return "\n"

    def encode(self, text: str) -> bytes:
        return ((BOM if self.bom else "") + text).encode("utf-8", errors="surrogateescape")


def _strip_ending(raw: str) -> str:
    if raw.endswith("\r\n"):
        return raw[:-2]
    if raw.endswith(("\n", "\r")):
        return raw[:-1]
    return raw


def overlapping(a: Edit, b: Edit) -> bool:
    if a.line != b.line:
        return False
    if a.start_col == a.end_col == b.start_col == b.end_col:
        return True  # two insertions at one place: their order would be arbitrary
    return a.start_col < b.end_col and b.start_col < a.end_col


def apply_edits(source: Source, edits: Iterable[Edit]) -> tuple[str, list[Edit], list[Edit]]:
    """The text with the edits applied, the edits applied, and those skipped because they overlap an
    earlier one (a later run of ``fix`` picks them up)."""
    applied: list[Edit] = []
    skipped: list[Edit] = []
    for edit in sorted(edits, key=lambda e: (e.line, e.start_col, e.end_col)):
        line = source.line(edit.line)
        bad_span = not (0 <= edit.start_col <= edit.end_col <= len(line)) or edit.line > len(source.lines)
        if bad_span or any(overlapping(edit, done) for done in applied):
            skipped.append(edit)
        else:
            applied.append(edit)
    lines = list(source.lines)
    by_line: dict[int, list[Edit]] = {}
    for edit in applied:
        by_line.setdefault(edit.line, []).append(edit)
    for number, line_edits in by_line.items():
        raw = lines[number - 1]
        body = _strip_ending(raw)
        ending = raw[len(body) :]
        newline = source.ending(number)
        for edit in sorted(line_edits, key=lambda e: (e.start_col, e.end_col), reverse=True):
            text = edit.replacement.replace("\r\n", "\n").replace("\n", newline)
            body = body[: edit.start_col] + text + body[edit.end_col :]
        lines[number - 1] = body + ending
    return "".join(lines), applied, skipped
