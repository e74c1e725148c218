"""Audit reports: one row per project as a text table, JSON, CSV or Markdown."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from reprocheck.model.audit import Row
from reprocheck.model.safe import safe_json, safe_text

FORMATS = ("table", "json", "csv", "markdown", "html", "github-matrix", "gitlab-matrix")
STAGES = ("build", "smoke", "verify")


def _share(row: Row) -> str:
    share = row.pinned_share
    return "-" if share is None else f"{share:.0%}"


def _columns(rows: Sequence[Row]) -> list[str]:
    cols = ["project", "context", "errors", "warnings", "info", "pinned", "verdict"]
    if any(r.stages for r in rows):
        cols[-1:-1] = list(STAGES)
    return cols


def _cells(row: Row, cols: Sequence[str]) -> list[str]:
    values = {
        "project": safe_text(row.project),
        "context": safe_text(row.context),
        "errors": str(row.errors),
        "warnings": str(row.warnings),
        "info": str(row.info),
        "pinned": f"{_share(row)} ({row.pinned}/{row.installs})",
        "verdict": row.verdict,
        **{s: row.stages.get(s, "-") for s in STAGES},
    }
    return [values[c] for c in cols]


def as_dict(rows: Sequence[Row], seconds: float, workers: int) -> dict[str, Any]:
    return {
        "version": 1,
        "summary": {
            "projects": len(rows),
            "passed": sum(r.verdict == "pass" for r in rows),
            "failed": sum(r.verdict == "fail" for r in rows),
            "errors": sum(r.verdict == "error" for r in rows),
            "incomplete": sum(r.verdict == "incomplete" for r in rows),
            "installs": sum(r.installs for r in rows),
            "pinned": sum(r.pinned for r in rows),
            "seconds": round(seconds, 3),
            "workers": workers,
        },
        "projects": [
            {
                "project": r.project,
                "context": r.context,
                "findings": {"error": r.errors, "warning": r.warnings, "info": r.info},
                "installs": r.installs,
                "pinned": r.pinned,
                "pinned_share": None if r.pinned_share is None else round(r.pinned_share, 4),
                "verdict": r.verdict,
                "stages": r.stages,
                "rules": r.rules,
                **({"error": r.error} if r.error else {}),
            }
            for r in rows
        ],
    }


def render(rows: Sequence[Row], fmt: str, seconds: float = 0.0, workers: int = 1) -> str:
    cols = _columns(rows)
    if fmt == "json":
        return safe_json(json.dumps(as_dict(rows, seconds, workers), indent=2)) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([*cols[:5], "installs", "pinned", "pinned_share", *cols[6:], "error"])
        for r in rows:
            cells = _cells(r, cols)
            share = "" if r.pinned_share is None else f"{r.pinned_share:.4f}"
            writer.writerow([*cells[:5], r.installs, r.pinned, share, *cells[6:], safe_text(r.error or "")])
        return buf.getvalue()
    if fmt == "markdown":
        lines = ["| " + " | ".join(cols) + " |", "|" + "|".join(" --- " for _ in cols) + "|"]
        lines.extend("| " + " | ".join(c.replace("|", "\\|") for c in _cells(r, cols)) + " |" for r in rows)
        lines.append("")
        lines.append(_summary(rows, seconds, workers))
        return "\n".join(lines) + "\n"
    table = [cols, *(_cells(r, cols) for r in rows)]
    widths = [max(len(row[k]) for row in table) for k in range(len(cols))]
    out = ["  ".join(cell.ljust(widths[k]) for k, cell in enumerate(row)).rstrip() for row in table]
    out.extend(f"error: {safe_text(r.project)}: {safe_text(r.error)}" for r in rows if r.error)
    out.append(_summary(rows, seconds, workers))
    return "\n".join(out) + "\n"


def _summary(rows: Sequence[Row], seconds: float, workers: int) -> str:
    installs = sum(r.installs for r in rows)
    pinned = sum(r.pinned for r in rows)
    share = f"{pinned / installs:.0%}" if installs else "-"
    failed = sum(r.verdict != "pass" for r in rows)
    projects = f"{len(rows)} project{'s' if len(rows) != 1 else ''}"
    return (
        f"{projects}, {failed} not passing; {pinned} of {installs} images and installs pinned ({share}); "
        f"{seconds:.1f} s with {workers} worker{'s' if workers != 1 else ''}"
    )


def rule_statistics(rows: Sequence[Row]) -> str:
    """``audit --statistics``: findings per rule over every project, most first, and in how many projects."""
    total: dict[str, int] = {}
    projects: dict[str, int] = {}
    for r in rows:
        for rule, n in r.rules.items():
            total[rule] = total.get(rule, 0) + n
            projects[rule] = projects.get(rule, 0) + 1
    if not total:
        return f"No problems in {len(rows)} project{'s' if len(rows) != 1 else ''}\n"
    order = sorted(total, key=lambda rule: (-total[rule], rule))
    width = max(len(str(v)) for v in total.values())
    lines = [f"{total[rule]:>{width}}  {rule:<6} in {projects[rule]} of {len(rows)} projects" for rule in order]
    return "\n".join(lines) + "\n"
