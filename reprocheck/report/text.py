"""For people: findings grouped by file, with the rule's title and a fix hint; colour only when asked."""

from __future__ import annotations

from itertools import groupby

from reprocheck.model.finding import Severity
from reprocheck.model.report import Report
from reprocheck.model.safe import safe_text

from ._common import rule_name, rule_summary
from .stages import text_table

_COLORS = {Severity.ERROR: "\x1b[31m", Severity.WARNING: "\x1b[33m", Severity.INFO: "\x1b[36m"}
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"
_REASONS_SHOWN = 20


def render(report: Report, *, color: bool = False) -> str:
    def c(code: str, s: str) -> str:
        return f"{code}{s}{_RESET}" if color else s

    lines: list[str] = []
    active = report.active
    for path, group in groupby(active, key=lambda f: f.location.path):
        lines.append(c(_BOLD, safe_text(path)))
        for f in group:
            loc = f"{f.location.line}" + (f":{f.location.column}" if f.location.column else "")
            sev = c(_COLORS[f.severity], f"{f.severity.value:<7}")
            title = rule_summary(report, f)
            lines.append(f"  {loc:>7}  {sev} {c(_BOLD, f.rule)} {rule_name(report, f)}: {safe_text(f.message)}")
            lines.append(c(_DIM, f"{'':>11}rule: {title + ' ' if title else ''}<{report.rule_doc(f.rule)}>"))
            if f.cause:
                lines.append(f"{'':>11}cause: {safe_text(f.cause)}")
                facts = [e for e in f.evidence if not (f.hint and e in f.hint)]  # the hint quotes the rest
                lines.extend(f"{'':>13}- {safe_text(e)}" for e in facts[:12])
            if f.hint:
                first, *rest = safe_text(f.hint).splitlines() or [""]
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
    # a suppression that gives its reason is shown with it: the reader sees what was waived, and why
    reasoned = [f for f in report.findings if f.suppressed_by and ", reason: " in f.suppressed_by]
    lines.extend(
        f"suppressed: {f.location} {f.rule} by {safe_text(f.suppressed_by or '')}" for f in reasoned[:_REASONS_SHOWN]
    )
    if len(reasoned) > _REASONS_SHOWN:
        lines.append(f"suppressed: {len(reasoned) - _REASONS_SHOWN} more with reasons (see --format json)")
    lines.extend(f"note: {safe_text(note)}" for note in report.notes)
    lines.extend(text_table(report))
    lines.append(summary)
    return "\n".join(lines) + "\n"
