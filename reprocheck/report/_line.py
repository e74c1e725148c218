"""Helpers of the line-oriented CI formats (azure, concise): one finding is one line, whatever it quotes."""

from __future__ import annotations

from reprocheck.model.safe import safe_text


def one_line(text: str) -> str:
    """``text`` on one line: newlines and tabs made spaces, every other control shown visibly by the shared
    sanitizer (``safe_text``): nothing a finding quotes can start a new line, and so a new command, in a log a
    CI runner parses."""
    return " ".join(safe_text(text).replace("\t", " ").splitlines()).strip()
