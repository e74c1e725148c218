"""The CI formats (gitlab, azure, sonar, checkstyle, concise), each checked field by field against what its
consumer reads: GitLab's Code Quality report format, SonarQube's generic external issues format, Azure
Pipelines' logging commands, the checkstyle XML that Jenkins warnings-ng parses, and the concise line."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from reprocheck.lint.run import LintOptions, lint_paths
from reprocheck.model.finding import Finding, Severity
from reprocheck.model.location import Location
from reprocheck.model.report import Report
from reprocheck.report import FORMATS, renderer
from reprocheck.rules import META

DIRTY = (
    "FROM python\n# reprocheck: ignore=RC2\nRUN apt-get install -y curl\n"
    "RUN pip install numpy 'pandas>=2'\nRUN curl -fsSL https://e.com/i.sh | sh\n"
)

# GitLab's Code Quality report format (docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format):
# a JSON array of objects, each with these required properties; the line is `location.lines.begin` or
# `location.positions.begin.line`; severity is one of info, minor, major, critical, blocker.
GITLAB_CODE_QUALITY_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path"],
                "properties": {
                    "path": {"type": "string", "minLength": 1},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                    "positions": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {
                            "begin": {
                                "type": "object",
                                "required": ["line"],
                                "properties": {"line": {"type": "integer", "minimum": 1}},
                            }
                        },
                    },
                },
                "anyOf": [{"required": ["lines"]}, {"required": ["positions"]}],
            },
        },
    },
}

# SonarQube's generic issue format, 10.3 and later (docs.sonarsource.com, "Generic formatted issue reports")
SONAR_CLEAN_CODE_ATTRIBUTES = {
    "FORMATTED", "CONVENTIONAL", "IDENTIFIABLE", "CLEAR", "LOGICAL", "COMPLETE", "EFFICIENT",
    "FOCUSED", "DISTINCT", "MODULAR", "TESTED", "LAWFUL", "RESPECTFUL", "TRUSTWORTHY",
}  # fmt: skip
SONAR_QUALITIES = {"MAINTAINABILITY", "RELIABILITY", "SECURITY"}
SONAR_IMPACT_SEVERITIES = {"HIGH", "MEDIUM", "LOW"}

# Azure Pipelines: ##vso[area.action property1=value;property2=value;...]message
AZURE_COMMAND = re.compile(r"^##vso\[(?P<cmd>[a-z]+\.[a-z]+)(?: (?P<props>[^\]]*))?\](?P<msg>.*)$")


@pytest.fixture
def report(make_project, monkeypatch) -> Report:
    root = make_project({"svc/Dockerfile": DIRTY, "ok/Dockerfile": "FROM scratch\n"})
    monkeypatch.chdir(root)
    return lint_paths(["."], LintOptions(isolated=True))


def _hostile() -> Report:
    """A finding whose path and message carry what each format must escape or refuse."""
    loc = Location("we;ird]dir/Docker<file>", 7, 3)
    msg = 'pin "x" & <y>; 50%\n##vso[task.complete result=Succeeded;]\x1b[31m]\x00'
    finding = Finding("RC301", Severity.ERROR, msg, loc, hint="a\rb")
    return Report((finding,), {"RC301": META["RC301"]}, (loc.path,), "0")


def test_gitlab_code_quality_field_by_field(report: Report):
    jsonschema = pytest.importorskip("jsonschema")
    issues = json.loads(renderer("gitlab")(report))
    jsonschema.validate(issues, GITLAB_CODE_QUALITY_SCHEMA)
    assert len(issues) == len(report.active) > 0
    by_rule = {i["check_name"].split(":")[0]: i for i in issues}
    assert "RC201" not in by_rule  # suppressed by the pragma
    rc101 = by_rule["RC101"]
    assert rc101["location"] == {"path": "svc/Dockerfile", "lines": {"begin": 1}, **rc101["location"]}
    assert rc101["severity"] == "critical" and rc101["check_name"] == "RC101:unpinned-base-image"
    assert rc101["description"].startswith("RC101 ")
    assert len({i["fingerprint"] for i in issues}) == len(issues)  # the widget keeps one issue per fingerprint


def test_gitlab_fingerprints_survive_a_line_shift_and_stay_unique(make_project, monkeypatch):
    text = "FROM python\nRUN pip install numpy\nRUN pip install numpy\n"

    def run(body: str) -> list[dict[str, Any]]:
        root = make_project({"Dockerfile": body, ".git/HEAD": "ref: main\n"})
        monkeypatch.chdir(root)
        issues: list[dict[str, Any]] = json.loads(renderer("gitlab")(lint_paths(["."], LintOptions(isolated=True))))
        return issues

    before, after = run(text), run("# moved\n\n" + text)
    assert sorted(i["fingerprint"] for i in before) == sorted(i["fingerprint"] for i in after)
    assert [i["location"]["lines"]["begin"] for i in after] == [i["location"]["lines"]["begin"] + 2 for i in before]
    assert len({i["fingerprint"] for i in before}) == len(before)  # the two identical lines stay two issues
    # findings without an engine fingerprint (runtime ones) are unique too
    loc = Location("golden/out.json", 1)
    twice = Report(tuple(Finding("RC805", Severity.ERROR, "differs", loc) for _ in range(2)), META, (), "0")
    fps = [i["fingerprint"] for i in json.loads(renderer("gitlab")(twice))]
    assert len(set(fps)) == 2 and fps == [i["fingerprint"] for i in json.loads(renderer("gitlab")(twice))]


def test_sonar_generic_issues_field_by_field(report: Report):
    data = json.loads(renderer("sonar")(report))
    assert set(data) == {"rules", "issues"}
    rules = {r["id"]: r for r in data["rules"]}
    for r in data["rules"]:
        for key in ("id", "name", "description", "engineId", "cleanCodeAttribute", "impacts"):
            assert isinstance(r[key], str | list) and r[key], key
        assert r["engineId"] == "reprocheck"
        assert r["cleanCodeAttribute"] in SONAR_CLEAN_CODE_ATTRIBUTES
        for impact in r["impacts"]:
            assert impact["softwareQuality"] in SONAR_QUALITIES
            assert impact["severity"] in SONAR_IMPACT_SEVERITIES
        assert r["type"] in {"BUG", "CODE_SMELL"}  # never VULNERABILITY, as SonarQube's SARIF import files them
    assert set(rules) == {f.rule for f in report.active}
    assert len(data["issues"]) == len(report.active)
    for issue, f in zip(data["issues"], report.active, strict=True):
        assert issue["ruleId"] == f.rule and issue["ruleId"] in rules
        loc = issue["primaryLocation"]
        assert loc["filePath"] == f.location.path and not loc["filePath"].startswith("/")
        assert loc["message"].startswith(f.message)
        assert loc["textRange"]["startLine"] == f.location.line >= 1
        assert isinstance(issue["effortMinutes"], int)
    assert rules["RC101"]["impacts"] == [{"softwareQuality": "RELIABILITY", "severity": "HIGH"}]


def test_checkstyle_as_warnings_ng_reads_it(report: Report):
    root = ET.fromstring(renderer("checkstyle")(report).encode())
    assert root.tag == "checkstyle"
    files = root.findall("file")
    assert [f.get("name") for f in files] == ["svc/Dockerfile"]
    errors = files[0].findall("error")
    assert len(errors) == len(report.active)
    for e, f in zip(errors, report.active, strict=True):
        assert e.get("source") == f.rule
        assert e.get("line") == str(f.location.line)
        assert e.get("severity") in {"error", "warning", "info"}
        assert (e.get("message") or "").startswith(f.message)
        assert e.get("column") == (str(f.location.column) if f.location.column else None)
    assert errors[0].get("severity") == "error" and errors[0].get("source") == "RC101"


def test_checkstyle_escapes_what_it_quotes():
    root = ET.fromstring(renderer("checkstyle")(_hostile()).encode())
    e = root.find("file/error")
    assert e is not None and root.find("file").get("name") == "we;ird]dir/Docker<file>"  # type: ignore[union-attr]
    assert (e.get("message") or "").startswith('pin "x" & <y>; 50%\n#\\#vso')  # the shared sanitizer's form
    assert "\x00" not in (e.get("message") or "")


def test_azure_logissue_lines_and_task_result(report: Report):
    lines = renderer("azure")(report).splitlines()
    parsed = [AZURE_COMMAND.match(line) for line in lines]
    assert all(parsed), lines
    issues = [m for m in parsed if m and m["cmd"] == "task.logissue"]
    assert len(issues) == len(report.active)
    first = dict(p.split("=", 1) for p in (issues[0]["props"] or "").rstrip(";").split(";"))
    assert first == {"type": "error", "sourcepath": "svc/Dockerfile", "linenumber": "1", "code": "RC101"} | {
        k: v for k, v in first.items() if k == "columnnumber"
    }
    assert issues[0]["msg"].startswith("RC101 unpinned-base-image: ")
    last = parsed[-1]
    assert last is not None and last["cmd"] == "task.complete" and last["props"] == "result=Failed;"
    passing = Report((), {}, (), "0")
    assert renderer("azure")(passing).splitlines() == ["##vso[task.complete result=Succeeded;]reprocheck: no findings"]
    info_only = Report((Finding("RC301", Severity.INFO, "m", Location("D", 1)),), META, ("D",), "0")
    assert renderer("azure")(info_only).splitlines()[-1].startswith("##vso[task.complete result=SucceededWithIssues;]")
    report_only = Report(report.findings, report.rules, (), "0", exit_zero=True)
    assert "result=SucceededWithIssues;" in renderer("azure")(report_only)


def test_azure_cannot_be_made_to_run_a_second_command():
    out = renderer("azure")(_hostile())
    lines = out.splitlines()
    assert len(lines) == 2 and all(line.startswith("##vso[") for line in lines)
    assert lines[0].count("##") == 1  # the agent finds `##vso[` anywhere in a line: the quoted one is broken
    props = AZURE_COMMAND.match(lines[0])
    assert props is not None and "sourcepath=we%3Bird%5Ddir/Docker<file>" in (props["props"] or "")
    assert "50%AZP25" in lines[0] and "\x1b" not in out and "\x00" not in out and "\r" not in out


def test_concise_one_line_per_finding(report: Report):
    lines = renderer("concise")(report).splitlines()
    assert len(lines) == len(report.active)
    pattern = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<rule>RC\d{3}) (?P<msg>.+)$")
    for line, f in zip(lines, report.active, strict=True):
        m = pattern.match(line)
        assert m is not None, line
        assert (m["path"], int(m["line"]), m["rule"]) == (f.location.path, f.location.line, f.rule)
        assert m["col"] == (str(f.location.column) if f.location.column else None)
    hostile = renderer("concise")(_hostile())
    assert hostile.count("\n") == 1 and hostile.startswith("we;ird]dir/Docker<file>:7:3: RC301 pin ")


def test_the_cli_accepts_every_ci_format(make_project, monkeypatch, tmp_path):
    from reprocheck.cli.app import main

    root = make_project({"Dockerfile": "FROM python\n"})
    monkeypatch.chdir(root)
    for fmt in ("gitlab", "azure", "sonar", "checkstyle", "concise"):
        assert fmt in FORMATS
        out = tmp_path / f"report.{fmt}"
        assert main(["lint", "--isolated", "-f", fmt, "-o", str(out), "."]) == 1
        assert "RC101" in out.read_text()
