"""JSON and files from a project read within bounds: nesting depth checked before parsing (the parser and
every walk over the value recurse), and a file's size checked before it is read (a sparse file of 3 GiB uses
no disk). A bound crossed is a ``ValueError`` the caller turns into a finding or a one-line error.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

MAX_DEPTH = 128  # far beyond any prediction's or record's shape; far below the interpreter's recursion limit

_DROP = bytes(b for b in range(256) if b not in b'"[]{}')
_SQUARE = bytes.maketrans(b"{}", b"[]")


class TooDeep(ValueError):
    """JSON nested deeper than the bound."""


class TooLarge(ValueError):
    """A file larger than the bound."""


def too_deep(data: bytes | str, max_depth: int = MAX_DEPTH) -> bool:
    """The JSON text ``data`` nests arrays and objects deeper than ``max_depth`` (brackets inside strings do
    not count). No recursion and no loop per character: strings are cut out at their quotes (once escaped
    backslashes and quotes are gone, every quote left delimits one), then each pass deletes the innermost
    ``[]`` pairs, which lowers the depth by exactly one."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    if b"[" not in raw and b"{" not in raw:
        return False
    if b"\\" in raw:
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = raw.translate(_SQUARE, _DROP)
    if b'"' in brackets:
        brackets = b"".join(brackets.split(b'"')[::2])
    for _ in range(max_depth):
        if not brackets:
            return False
        brackets = brackets.replace(b"[]", b"")
    return bool(brackets)


def loads(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` of text a project controls: TooDeep past ``max_depth`` levels (a ValueError, as any
    other JSON error is), so neither the parser nor a walk over the value can exhaust the recursion limit."""
    if too_deep(data, max_depth):
        raise TooDeep(f"nested deeper than {max_depth} levels")
    try:
        return json.loads(data)
    except RecursionError:  # a shallower limit than ours (a thread with a small stack)
        raise TooDeep(f"nested deeper than this process can parse (the bound is {max_depth} levels)") from None


def read_limited(path: Path | str, limit: int) -> bytes:
    """The bytes of the regular file at ``path``; TooLarge when it holds more than ``limit`` bytes (told from
    its size before anything is read, and checked again while reading, in case it grows)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"{path} is not a regular file")
        if st.st_size > limit:
            raise TooLarge(f"{st.st_size} bytes, over the limit of {limit}")
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise TooLarge(f"more than {limit} bytes, over the limit")
        return data
    finally:
        os.close(fd)
