"""GitLab Code Quality (``artifacts:reports:codequality``): a JSON array of issues, the subset of the Code
Climate spec the merge-request widget reads: ``description``, ``check_name``, ``fingerprint``, ``severity``,
``location.path`` and ``location.lines.begin`` (plus ``positions`` when the column is known).

The widget tells new findings from old ones by ``fingerprint``, so it must not move with the line number:
it is derived from the engine's fingerprint (rule, path, the offending line's text, occurrence), and from
rule, path and message for findings that have none, with an occurrence index so that no two issues share one.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

from reprocheck.model.finding import Finding, Severity
from reprocheck.model.report import Report
from reprocheck.model.safe import safe_json

from ._common import relative_uri, rule_name

# info < minor < major < critical < blocker: an error blocks the gate, so it is critical
SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def _fingerprint(f: Finding, path: str, seen: Counter[str]) -> str:
    basis = f"engine\0{f.fingerprint}" if f.fingerprint else f"message\0{f.rule}\0{path}\0{f.message}"
    n = seen[basis]
    seen[basis] += 1
    return hashlib.sha256(f"reprocheck/v1\0{basis}\0{n}".encode("utf-8", "surrogateescape")).hexdigest()[:32]


def as_list(report: Report) -> list[dict[str, Any]]:
    seen: Counter[str] = Counter()
    issues: list[dict[str, Any]] = []
    for f in report.active:
        path = relative_uri(f.location.path)
        line = max(f.location.line, 1)
        location: dict[str, Any] = {"path": path, "lines": {"begin": line}}
        if f.location.end_line and f.location.end_line > line:
            location["lines"]["end"] = f.location.end_line
        if f.location.column:
            location["positions"] = {"begin": {"line": line, "column": f.location.column}}
        issue: dict[str, Any] = {
            "type": "issue",
            "description": f"{f.rule} {f.message}",
            "check_name": f"{f.rule}:{rule_name(report, f)}",
            "fingerprint": _fingerprint(f, path, seen),
            "severity": SEVERITY[f.severity],
            "location": location,
            "categories": ["Bug Risk"],
        }
        if f.hint:
            issue["content"] = {"body": f"Hint: {f.hint}"}
        issues.append(issue)
    return issues


def render(report: Report, *, color: bool = False) -> str:
    return safe_json(json.dumps(as_list(report), indent=2, ensure_ascii=False)) + "\n"
