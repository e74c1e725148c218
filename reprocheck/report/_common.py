from __future__ import annotations

import os

from reprocheck.model.finding import Finding
from reprocheck.model.report import Report


def relative_uri(path: str) -> str:
    """A forward-slash path relative to the working directory when the file is under it."""
    if os.path.isabs(path):
        try:
            rel = os.path.relpath(path)
        except ValueError:
            return path.replace(os.sep, "/")
        if not rel.startswith(".."):
            return rel.replace(os.sep, "/")
        return path.replace(os.sep, "/")
    return os.path.normpath(path).replace(os.sep, "/")


def rule_name(report: Report, finding: Finding) -> str:
    meta = report.rules.get(finding.rule)
    return meta.name if meta else finding.rule


def rule_summary(report: Report, finding: Finding) -> str:
    meta = report.rules.get(finding.rule)
    return meta.summary if meta else ""


def is_failing(report: Report, finding: Finding) -> bool:
    return finding.suppressed_by is None and finding.severity.rank >= report.threshold.rank
