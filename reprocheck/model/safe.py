"""Project text made safe where it is written: the one function every reporter and printed message uses.

A project controls much of what a report quotes: prediction output, file contents, paths, names. Written raw,
an escape sequence reaches the reader's terminal (OSC 52 sets the clipboard, OSC 0 the window title, CSI 2J
clears the screen; C1 controls are the same in one byte), and a line starting with ``::`` (after any
whitespace) is a live workflow command when a GitHub runner reads the log (``::add-mask::``, ``::error::``;
``##vso[`` and ``##[`` are Azure's). ``safe_text`` shows every control visibly (``\\x1b``, ``\\r``), keeps
newlines and tabs, shows a name's undecodable bytes (``surrogateescape``) as ``\\xff``, and puts a backslash
before a workflow-command prefix. JSON keeps its data exact: ``safe_json`` escapes the same characters as
``\\u`` escapes in a dumped document (``json.dumps`` leaves C1, DEL and bidi controls raw with
``ensure_ascii=False``).
"""

from __future__ import annotations

from .patterns import lazy

_TABLE: dict[int, str] = {}
_JSON_TABLE: dict[int, str] = {}
# Azure's logging commands are read anywhere in a line; its formatting commands and GitHub's at its start
_AZURE = lazy(r"##(?=vso\[|\[|teamcity\[)")


def _controls() -> list[int]:
    codes = [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F)]
    codes += [*range(0x2066, 0x206A), 0xFEFF, *range(0xD800, 0xE000)]
    return [c for c in codes if c not in (0x09, 0x0A)]


def _table() -> dict[int, str]:
    if not _TABLE:
        for code in _controls():
            if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
                shown = f"\\x{code - 0xDC00:02x}"
            elif code < 0x100:
                shown = {0x0D: "\\r", 0x0B: "\\v", 0x0C: "\\f"}.get(code, f"\\x{code:02x}")
            else:
                shown = f"\\u{code:04x}"
            _TABLE[code] = shown
    return _TABLE


def safe_text(text: str) -> str:
    """``text`` as it may be written to a terminal, a CI log, Markdown or XML: controls, escape sequences,
    bidi overrides and undecodable bytes shown escaped (newlines and tabs kept), and a workflow-command prefix
    (``::`` or ``##[`` at a line's start after whitespace, ``##vso[`` anywhere) neutralised by a backslash."""
    if text.isprintable():
        if "::" not in text and "##" not in text:
            return text
    else:
        text = text.translate(_table())
    lines = text.split("\n")
    for k, line in enumerate(lines):
        rest = line.lstrip()
        if rest.startswith(("::", "##[")):
            line = line[: len(line) - len(rest)] + "\\" + rest
        if "##" in line:
            line = _AZURE.sub("#\\\\#", line)
        lines[k] = line
    return "\n".join(lines)


def safe_json(dumped: str) -> str:
    """A JSON document (``json.dumps(..., ensure_ascii=False)``) with the characters ``safe_text`` escapes
    written as ``\\uXXXX`` escapes: the same data, nothing a terminal acts on, and no lone surrogate that
    would fail to encode."""
    if "##" in dumped:  # Azure reads its logging commands anywhere in a line, JSON strings included
        dumped = dumped.replace("##vso[", "#\\u0023vso[").replace("##teamcity[", "#\\u0023teamcity[")
    if dumped.isascii() and "\x7f" not in dumped:
        return dumped
    if not _JSON_TABLE:
        _JSON_TABLE.update({c: f"\\u{c:04x}" for c in _controls() if c >= 0x20})
    return dumped.translate(_JSON_TABLE)
