"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` line per finding."""

from __future__ import annotations

from reprocheck.model.finding import Severity
from reprocheck.model.report import Report
from reprocheck.model.safe import safe_text

from ._common import relative_uri, rule_name

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
GITHUB_LIMIT = 10  # annotations shown per type per step


def _data(s: str) -> str:
    return safe_text(s).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(s: str) -> str:
    return _data(s).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, *, color: bool = False) -> str:
    lines: list[str] = []
    per_type: dict[str, int] = {}
    for f in report.active:
        cmd = _COMMAND[f.severity]
        per_type[cmd] = per_type.get(cmd, 0) + 1
        props = [f"file={_prop(relative_uri(f.location.path))}", f"line={f.location.line}"]
        if f.location.column:
            props.append(f"col={f.location.column}")
        props.append(f"title={_prop(f'{f.rule} {rule_name(report, f)}')}")
        msg = f.message + (f"\nhint: {f.hint}" if f.hint else "")
        lines.append(f"::{cmd} {','.join(props)}::{_data(msg)}")
    over = {k: v for k, v in per_type.items() if v > GITHUB_LIMIT}
    if over:
        listed = ", ".join(f"{v} {k}s" for k, v in sorted(over.items()))
        lines.append(
            f"::notice title=reprocheck::{listed}: GitHub shows only {GITHUB_LIMIT} annotations of each type per "
            "step; all findings are in this log and in the step summary"
        )
    return "\n".join(lines) + ("\n" if lines else "")
