"""SARIF 2.1.0 for GitHub code scanning: only the rules seen, with help from the catalogue, relative URIs."""

from __future__ import annotations

import json
from typing import Any

from reprocheck.catalogue import load_catalogue
from reprocheck.model.finding import Severity
from reprocheck.model.report import Report
from reprocheck.model.safe import safe_json, safe_text

from ._common import relative_uri

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/reprocheck/reprocheck"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# code scanning matches alerts across commits by this (the engine's line-shift-proof fingerprint)
FINGERPRINT_KEY = "reprocheck/v1"


def _uri(path: str) -> str:
    """A relative URI; a name that is not UTF-8 (kept by surrogateescape) is percent-encoded byte by byte."""
    uri = relative_uri(path)
    try:
        uri.encode("utf-8")
    except UnicodeEncodeError:
        from urllib.parse import quote

        return quote(uri.encode("utf-8", "surrogateescape"), safe="/")
    return uri


def _sentence(text: str) -> str:
    """The message as a sentence: SARIF viewers show it as one, before the hint."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _rule(report: Report, rule_id: str) -> dict[str, Any]:
    meta = report.rules[rule_id]
    doc = load_catalogue().get(rule_id)
    out: dict[str, Any] = {
        "id": meta.id,
        "name": meta.name,
        "shortDescription": {"text": meta.summary},
        "defaultConfiguration": {"level": _LEVEL[meta.severity]},
        "properties": {"tags": ["reproducibility", meta.needs.value], "precision": "high"},
    }
    if doc is not None:
        rationale = doc.rationale or meta.summary
        out["fullDescription"] = {"text": rationale.replace("\n", " ")}
        out["help"] = {"text": doc.body, "markdown": doc.body}
    out["helpUri"] = report.rule_doc(rule_id)
    return out


def as_dict(report: Report) -> dict[str, Any]:
    rule_ids = sorted(report.rules)
    index = {rid: k for k, rid in enumerate(rule_ids)}
    results: list[dict[str, Any]] = []
    for f in report.findings:
        region: dict[str, Any] = {"startLine": max(f.location.line, 1)}
        if f.location.column:
            region["startColumn"] = f.location.column
        text = _sentence(f.message) + (f" Hint: {f.hint}" if f.hint else "")
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": _LEVEL[f.severity],
            "message": {"text": safe_text(text)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.location.path), "uriBaseId": "%SRCROOT%"},
                        "region": region,
                    }
                }
            ],
        }
        if f.cause or f.evidence or f.details:
            props: dict[str, Any] = {}
            if f.cause:
                props["cause"] = f.cause
            if f.evidence:
                props["evidence"] = list(f.evidence)
            if f.details:
                props["details"] = dict(f.details)
            result["properties"] = props
        if f.fingerprint:
            result["partialFingerprints"] = {FINGERPRINT_KEY: f.fingerprint}
        if f.suppressed_by:
            result["suppressions"] = [{"kind": "inSource", "justification": f.suppressed_by}]
        results.append(result)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "reprocheck",
                        "version": report.tool_version,
                        "semanticVersion": report.tool_version,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(report, rid) for rid in rule_ids],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render(report: Report, *, color: bool = False) -> str:
    return safe_json(json.dumps(as_dict(report), indent=2, ensure_ascii=False)) + "\n"
