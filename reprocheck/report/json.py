"""Machine-readable: ``{"version": 1, "findings": [...], ...}``. The finding fields are a stable contract."""

from __future__ import annotations

import json
from typing import Any

from reprocheck.model.finding import Finding
from reprocheck.model.report import Report
from reprocheck.model.safe import safe_json

from ._common import rule_name

VERSION = 1


def finding_dict(report: Report, f: Finding) -> dict[str, Any]:
    d: dict[str, Any] = {
        "rule": f.rule,
        "name": rule_name(report, f),
        "severity": f.severity.value,
        "path": f.location.path,
        "line": f.location.line,
        "message": f.message,
        "url": report.rule_doc(f.rule),
    }
    if f.location.column is not None:
        d["column"] = f.location.column
    if f.hint:
        d["hint"] = f.hint
    if f.related:
        d["related"] = [{"path": r.path, "line": r.line} for r in f.related]
    if f.suppressed_by:
        d["suppressed_by"] = f.suppressed_by
    if f.cause:
        d["cause"] = f.cause
    if f.evidence:
        d["evidence"] = list(f.evidence)
    if f.details:
        d["details"] = dict(f.details)
    if f.fingerprint:
        d["fingerprint"] = f.fingerprint
    return d


def as_dict(report: Report) -> dict[str, Any]:
    return {
        "version": VERSION,
        "tool": {"name": "reprocheck", "version": report.tool_version},
        "config_files": list(report.config_files),
        "summary": {
            "files": len(report.files),
            "errors": counts_by(report, "error"),
            "warnings": counts_by(report, "warning"),
            "info": counts_by(report, "info"),
            "suppressed": len(report.findings) - len(report.active),
            "failure_threshold": report.threshold.value,
            "failed": report.verdict == "failed",
            "verdict": report.verdict,
        },
        "stages": [
            {
                "name": s.name,
                "status": s.status,
                "seconds": round(s.seconds, 3),
                "findings": s.findings,
                "detail": s.detail,
            }
            for s in report.stages
        ],
        "files": list(report.files),
        "findings": [finding_dict(report, f) for f in report.active],
        "suppressed": [finding_dict(report, f) for f in report.findings if f.suppressed_by],
        "notes": list(report.notes),
    }


def counts_by(report: Report, severity: str) -> int:
    return sum(1 for f in report.active if f.severity.value == severity)


def render(report: Report, *, color: bool = False) -> str:
    return safe_json(json.dumps(as_dict(report), indent=2, ensure_ascii=False)) + "\n"
