"""Reading input files: bytes -> text, with decoding problems reported, never raised."""

from __future__ import annotations

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
