"""Checkstyle XML, read by Jenkins' warnings-ng (``recordIssues(tools: [checkStyle(pattern: ...)])``) and
most code-review bots: ``<checkstyle><file name=...><error line= column= severity= message= source=/>``.
Active findings only; ``source`` is the rule id, as hadolint writes it."""

from __future__ import annotations

import re
from xml.sax.saxutils import quoteattr

from reprocheck.model.finding import Severity
from reprocheck.model.report import Report
from reprocheck.model.safe import safe_text

from ._common import relative_uri

_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"}
# characters XML 1.0 cannot carry at all, even escaped
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _attr(text: str) -> str:
    return quoteattr(_NOT_XML.sub(" ", safe_text(text)), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def render(report: Report, *, color: bool = False) -> str:
    by_file: dict[str, list[str]] = {}
    for f in report.active:
        path = relative_uri(f.location.path)
        attrs = f"line={_attr(str(max(f.location.line, 1)))}"
        if f.location.column:
            attrs += f" column={_attr(str(f.location.column))}"
        message = f.message + (f" (hint: {f.hint})" if f.hint else "")
        attrs += f" severity={_attr(_SEVERITY[f.severity])} message={_attr(message)} source={_attr(f.rule)}"
        by_file.setdefault(path, []).append(f"    <error {attrs}/>")
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<checkstyle version="4.3">']
    for path, errors in by_file.items():
        out.append(f"  <file name={_attr(path)}>")
        out.extend(errors)
        out.append("  </file>")
    out.append("</checkstyle>")
    return "\n".join(out) + "\n"
