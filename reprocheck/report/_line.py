"""Helpers of the line-oriented CI formats (azure, concise): one finding is one line, whatever it quotes."""

from __future__ import annotations

import re

# TODO: use the shared sanitizer from secdata (reprocheck/model/text.py) once it lands
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """``text`` with every control character (newlines included) made a space: nothing a finding quotes can
    start a new line, and so a new command, in a log a CI runner parses."""
    return _CONTROL.sub(" ", text).strip()
