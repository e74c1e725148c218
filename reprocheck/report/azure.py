"""Azure Pipelines logging commands: one ``##vso[task.logissue ...]`` per active finding, then the task's
result (``##vso[task.complete result=Failed|SucceededWithIssues|Succeeded;]``), so the run's summary lists
each finding with its file and line. Azure knows only errors and warnings: info findings are warnings."""

from __future__ import annotations

from reprocheck.model.finding import Severity
from reprocheck.model.report import Report

from ._common import relative_uri, rule_name
from ._line import one_line

_TYPE = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "warning"}


def _data(text: str) -> str:
    """A message: the agent unescapes ``%AZP25`` to ``%``; control characters are made spaces, and ``##``
    (the start of ``##vso[`` and ``##[`` commands, which the agent looks for anywhere in a line) is broken."""
    return one_line(text).replace("%", "%AZP25").replace("##", "# #")


def _prop(text: str) -> str:
    """A property value: ``;`` ends a property and ``]`` the command, so both are escaped too."""
    return _data(text).replace(";", "%3B").replace("]", "%5D")


def result(report: Report) -> str:
    """The task result the report stands for (``--exit-zero`` never fails the task)."""
    if report.exit_code != 0 and report.verdict == "failed":
        return "Failed"
    return "SucceededWithIssues" if report.active or report.verdict != "passed" else "Succeeded"


def render(report: Report, *, color: bool = False) -> str:
    lines: list[str] = []
    for f in report.active:
        props = [
            f"type={_TYPE[f.severity]}",
            f"sourcepath={_prop(relative_uri(f.location.path))}",
            f"linenumber={max(f.location.line, 1)}",
        ]
        if f.location.column:
            props.append(f"columnnumber={f.location.column}")
        props.append(f"code={_prop(f.rule)}")
        text = f"{f.rule} {rule_name(report, f)}: {f.message}" + (f" (hint: {f.hint})" if f.hint else "")
        lines.append(f"##vso[task.logissue {';'.join(props)};]{_data(text)}")
    counts = report.counts()
    summary = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n) or "no findings"
    lines.append(f"##vso[task.complete result={result(report)};]reprocheck: {summary}")
    return "".join(line + "\n" for line in lines)
