"""One line per active finding, ``path:line:col: RCxxx message``, for editors and CI problem matchers
(ruff's ``concise``). Suppressed findings are left out; the column is left out when it is not known."""

from __future__ import annotations

from reprocheck.model.report import Report

from ._common import relative_uri
from ._line import one_line


def render(report: Report, *, color: bool = False) -> str:
    lines = []
    for f in report.active:
        loc = f"{one_line(relative_uri(f.location.path))}:{max(f.location.line, 1)}"
        if f.location.column:
            loc += f":{f.location.column}"
        lines.append(f"{loc}: {f.rule} {one_line(f.message)}")
    return "".join(line + "\n" for line in lines)
