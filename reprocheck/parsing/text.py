"""Reading input files: bytes -> text, with decoding problems reported, never raised."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple


class DecodedText(NamedTuple):
    text: str
    bad_line: int | None  # first line that is not valid UTF-8 (decoded with replacement characters)


def decode(data: bytes) -> DecodedText:
    """Decode UTF-8 (a BOM is dropped). Invalid bytes are replaced and their first line reported."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return DecodedText(data.decode("utf-8"), None)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return DecodedText(data.decode("utf-8", errors="replace"), line)


def numbered_lines(text: str) -> Iterator[tuple[int, str]]:
    """The lines of ``text`` as ``str.splitlines`` cuts them (as pip reads a requirements file: ``\\r``, form
    feeds and Unicode separators end a line too), numbered as editors number them, by ``\\n``: a line cut
    at ``\\x85`` is still on the line where it started, so findings point at a line the user can find."""
    number = 1
    for piece in text.splitlines(keepends=True):
        stripped = piece.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
        yield number, stripped
        number += piece.count("\n")
