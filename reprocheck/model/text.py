"""Text quoted from builds and containers, made fit for a report: no terminal escapes, no redrawn lines."""

from __future__ import annotations

from .patterns import lazy

# CSI sequences (colours, cursor moves), OSC sequences (titles, links), and the other two-byte escapes
_ANSI = lazy(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_CONTROL = lazy(r"[\x00-\x08\x0b-\x1f\x7f]")


def plain_text(text: str) -> str:
    """``text`` without terminal escapes and control characters (newlines kept); of a line that redraws
    itself with carriage returns (pip's and curl's progress bars), its last state."""
    if "\x1b" not in text and not _CONTROL.search(text):
        return text
    lines = []
    for line in _ANSI.sub("", text).split("\n"):
        if "\r" in line:
            line = line.rstrip("\r").rsplit("\r", 1)[-1]
        lines.append(_CONTROL.sub("", line.replace("\t", "    ")))
    return "\n".join(lines)
