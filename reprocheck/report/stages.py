"""The stage table of ``reprocheck check``, shared by the text and Markdown reporters."""

from __future__ import annotations

from reprocheck.model.report import Report, StageResult
from reprocheck.model.safe import safe_text

ICONS = {"passed": "✅", "failed": "❌", "skipped": "⏭️"}


def seconds(stage: StageResult) -> str:
    return f"{stage.seconds:.1f} s" if stage.status != "skipped" else "-"


def text_table(report: Report) -> list[str]:
    if not report.stages:
        return []
    rows = [("stage", "result", "time", "findings", "detail")]
    rows += [(s.name, s.status, seconds(s), str(s.findings), safe_text(s.detail)) for s in report.stages]
    widths = [max(len(r[k]) for r in rows) for k in range(4)]
    lines = ["  ".join(cell.ljust(widths[k]) if k < 4 else cell for k, cell in enumerate(row)).rstrip() for row in rows]
    return [*lines, f"verdict: {report.verdict}", ""]


def markdown_table(report: Report) -> list[str]:
    if not report.stages:
        return []
    lines = ["| stage | result | time | findings | detail |", "| --- | --- | ---: | ---: | --- |"]
    for s in report.stages:
        detail = safe_text(s.detail).replace("|", "\\|")
        lines.append(f"| {s.name} | {ICONS.get(s.status, '')} {s.status} | {seconds(s)} | {s.findings} | {detail} |")
    return [*lines, ""]
