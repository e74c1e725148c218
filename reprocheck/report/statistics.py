"""``--statistics`` (and ``--format statistics``): how many findings each rule gave, most first, as ruff's
``--statistics`` prints them, with the link to each rule's page."""

from __future__ import annotations

from collections import Counter

from reprocheck.model.report import Report


def counts(report: Report) -> list[tuple[str, str, int]]:
    """(rule, name, active findings), most first, then by rule id."""
    seen = Counter(f.rule for f in report.active)
    return [
        (rule, report.rules[rule].name if rule in report.rules else rule, n)
        for rule, n in sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def render(report: Report, *, color: bool = False) -> str:
    rows = counts(report)
    if not rows:
        return f"No problems in {len(report.files)} file{'s' if len(report.files) != 1 else ''}\n"
    width = max(len(str(n)) for _, _, n in rows)
    rule_width = max(len(rule) for rule, _, _ in rows)
    lines = [f"{n:>{width}}  {rule:<{rule_width}}  {name}" for rule, name, n in rows]
    total = sum(n for _, _, n in rows)
    lines.append(
        f"Found {total} problem{'s' if total != 1 else ''} from {len(rows)} rule{'s' if len(rows) != 1 else ''}."
    )
    return "\n".join(lines) + "\n"
