"""A Markdown summary (GitHub step summary, merge-request notes)."""

from __future__ import annotations

from reprocheck.model.finding import Severity
from reprocheck.model.report import Report
from reprocheck.model.safe import safe_text

from ._common import rule_name
from .stages import markdown_table

MAX_ROWS = 50


def _cell(s: str) -> str:
    return safe_text(s).replace("|", "\\|").replace("\n", " ")


def render(report: Report, *, color: bool = False) -> str:
    counts = report.counts()
    verdict = {"passed": "✅ passed", "failed": "❌ failed", "incomplete": "⚠️ incomplete"}[report.verdict]
    lines = [
        f"## reprocheck: {verdict}",
        "",
        f"{len(report.files)} files checked; failure threshold `{report.threshold.value}`.",
        "",
        *markdown_table(report),
        "| severity | findings |",
        "| --- | ---: |",
        *(f"| {s.value} | {counts[s]} |" for s in Severity),
        "",
    ]
    active = report.active
    if active:
        lines += ["| file | line | rule | message |", "| --- | ---: | --- | --- |"]
        for f in active[:MAX_ROWS]:
            where = f"`{_cell(f.location.path)}` | {f.location.line}"
            cause = f"<br>**cause:** {_cell(f.cause)}" if f.cause else ""
            evidence = "".join(f"<br>• {_cell(e)}" for e in f.evidence[:6]) if f.cause else ""
            lines.append(f"| {where} | {f.rule} {rule_name(report, f)} | {_cell(f.message)}{cause}{evidence} |")
        if len(active) > MAX_ROWS:
            lines.append(f"\n… and {len(active) - MAX_ROWS} more (see the job log).")
    for note in report.notes:
        lines.append(f"\n> {_cell(note)}")
    return "\n".join(lines) + "\n"
