"""For people: findings grouped by file, with the rule's title and a fix hint; colour only when asked."""

from __future__ import annotations

from itertools import groupby

from reprocheck.model.finding import Severity
from reprocheck.model.report import Report

from ._common import rule_name, rule_summary
from .stages import text_table

_COLORS = {Severity.ERROR: "\x1b[31m", Severity.WARNING: "\x1b[33m", Severity.INFO: "\x1b[36m"}
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def render(report: Report, *, color: bool = False) -> str:
    def c(code: str, s: str) -> str:
        return f"{code}{s}{_RESET}" if color else s

    lines: list[str] = []
    active = report.active
    for path, group in groupby(active, key=lambda f: f.location.path):
        lines.append(c(_BOLD, path))
        for f in group:
            loc = f"{f.location.line}" + (f":{f.location.column}" if f.location.column else "")
            sev = c(_COLORS[f.severity], f"{f.severity.value:<7}")
            title = rule_summary(report, f)
            lines.append(f"  {loc:>7}  {sev} {c(_BOLD, f.rule)} {rule_name(report, f)}: {f.message}")
            if title:
                lines.append(c(_DIM, f"{'':>11}rule: {title}"))
            if f.cause:
                lines.append(f"{'':>11}cause: {f.cause}")
                facts = [e for e in f.evidence if not (f.hint and e in f.hint)]  # the hint quotes the rest
                lines.extend(f"{'':>13}- {e}" for e in facts[:12])
            if f.hint:
                first, *rest = f.hint.splitlines()
                lines.append(f"{'':>11}hint: {first}")
                lines.extend(f"{'':>17}{line}" for line in rest)
        lines.append("")
    counts = report.counts()
    suppressed = len(report.findings) - len(active)
    files_with = len({f.location.path for f in active})
    if active:
        parts = [
            f"{counts[s]} {s.value}{'s' if counts[s] != 1 and s is not Severity.INFO else ''}"
            for s in Severity
            if counts[s]
        ]
        total = len(active)
        summary = (
            f"Found {total} problem{'s' if total != 1 else ''} ({', '.join(parts)}) in {files_with} of "
            f"{len(report.files)} file{'s' if len(report.files) != 1 else ''}"
        )
    else:
        summary = f"No problems in {len(report.files)} file{'s' if len(report.files) != 1 else ''}"
        ran = next((n for n in report.notes if n.startswith("ran: ")), None)  # a runtime command's stages
        if ran is not None:
            judged = f"{len(report.files)} file{'s' if len(report.files) != 1 else ''} judged"
            summary = f"No problems: {ran.removeprefix('ran: ')} ({judged})"
    if suppressed:
        known = sum(1 for f in report.findings if (f.suppressed_by or "").startswith("baseline "))
        if known < suppressed:
            summary += f"; {suppressed - known} suppressed by pragmas"
        if known:
            summary += f"; {known} known from the baseline"
    verdict = {"passed": "pass", "failed": "fail", "incomplete": "incomplete"}[report.verdict]
    summary += f". Failure threshold: {report.threshold.value} -> {verdict}."
    lines.extend(f"note: {note}" for note in report.notes)
    lines.extend(text_table(report))
    lines.append(summary)
    return "\n".join(lines) + "\n"
