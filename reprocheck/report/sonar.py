"""SonarQube generic external issues (``sonar.externalIssuesReportPaths``), the format of SonarQube 10.3 and
later: ``rules`` (id, name, description, engineId, cleanCodeAttribute, impacts) and ``issues`` (ruleId,
primaryLocation with message, filePath and textRange). Each finding is a maintainability or reliability
issue of its rule, not the vulnerability SonarQube's SARIF import would make of it."""

from __future__ import annotations

import json
from typing import Any

from reprocheck.model.finding import Severity
from reprocheck.model.report import Report
from reprocheck.model.safe import safe_json

from ._common import relative_uri

ENGINE_ID = "reprocheck"
# impact severities: HIGH, MEDIUM, LOW (INFO and BLOCKER exist only from 10.8 on; not used)
IMPACT = {Severity.ERROR: "HIGH", Severity.WARNING: "MEDIUM", Severity.INFO: "LOW"}
# the deprecated (pre-10.3) fields, still read by older servers
LEGACY_SEVERITY = {Severity.ERROR: "MAJOR", Severity.WARNING: "MINOR", Severity.INFO: "INFO"}


def _rule(report: Report, rule_id: str, severity: Severity) -> dict[str, Any]:
    meta = report.rules.get(rule_id)
    # an unrebuildable image is a reliability defect; the rest (hygiene, pins) is maintainability
    quality = "RELIABILITY" if severity is Severity.ERROR else "MAINTAINABILITY"
    return {
        "id": rule_id,
        "name": f"{rule_id} {meta.name}" if meta else rule_id,
        "description": (meta.summary if meta else "") or rule_id,
        "engineId": ENGINE_ID,
        "cleanCodeAttribute": "COMPLETE" if severity is Severity.ERROR else "CONVENTIONAL",
        "type": "BUG" if severity is Severity.ERROR else "CODE_SMELL",
        "severity": LEGACY_SEVERITY[severity],
        "impacts": [{"softwareQuality": quality, "severity": IMPACT[severity]}],
    }


def as_dict(report: Report) -> dict[str, Any]:
    active = report.active
    worst: dict[str, Severity] = {}
    for f in active:
        if f.rule not in worst or f.severity.rank > worst[f.rule].rank:
            worst[f.rule] = f.severity
    issues: list[dict[str, Any]] = []
    for f in active:
        text = f.message + (f" Hint: {f.hint}" if f.hint else "")
        issues.append(
            {
                "ruleId": f.rule,
                "effortMinutes": 5,
                "primaryLocation": {
                    "message": text,
                    "filePath": relative_uri(f.location.path),
                    "textRange": {"startLine": max(f.location.line, 1)},
                },
            }
        )
    return {"rules": [_rule(report, rid, worst[rid]) for rid in sorted(worst)], "issues": issues}


def render(report: Report, *, color: bool = False) -> str:
    return safe_json(json.dumps(as_dict(report), indent=2, ensure_ascii=False)) + "\n"
