"""Unified diffs that ``git apply`` (and ``patch -p1``) accept, CRLF and missing final newlines included."""

from __future__ import annotations

import difflib

_NO_NEWLINE = "\\ No newline at end of file\n"


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True) if text else []


def unified_diff(path: str, before: str | None, after: str) -> str:
    """The diff turning ``before`` into ``after`` for ``path`` (relative, ``/`` separated); ``before`` None
    means a new file."""
    old = _lines(before or "")
    new = _lines(after)
    header = [f"diff --git a/{path} b/{path}\n"]
    if before is None:
        header += ["new file mode 100644\n", "--- /dev/null\n", f"+++ b/{path}\n"]
    else:
        header += [f"--- a/{path}\n", f"+++ b/{path}\n"]
    body: list[str] = []
    for k, line in enumerate(difflib.unified_diff(old, new, n=3, lineterm="\n")):
        if k < 2:
            continue  # difflib's own ---/+++ lines: ours carry git's a/ b/ prefixes
        if line.startswith("@@"):
            body.append(line if line.endswith("\n") else line + "\n")
        elif line.endswith("\n"):
            body.append(line)
        else:
            body += [line + "\n", _NO_NEWLINE]
    if not body:
        return ""
    return "".join(header + body)
