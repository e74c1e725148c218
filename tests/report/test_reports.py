from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from reprocheck.lint.run import LintOptions, lint_paths
from reprocheck.model.finding import Finding, Severity
from reprocheck.model.location import Location
from reprocheck.model.report import Report
from reprocheck.report import FORMATS, renderer
from reprocheck.rules import META
from tests.conftest import SCHEMAS

DIRTY = (
    "FROM python\n# reprocheck: ignore=RC2\nRUN apt-get install -y curl\n"
    "RUN pip install numpy 'pandas>=2'\nRUN curl -fsSL https://e.com/i.sh | sh\n"
)


@pytest.fixture
def report(make_project, monkeypatch) -> Report:
    root = make_project({"svc/Dockerfile": DIRTY, "ok/Dockerfile": "FROM scratch\n"})
    monkeypatch.chdir(root)
    return lint_paths(["."], LintOptions(isolated=True))


def test_sarif_validates_against_the_official_schema(report: Report):
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = SCHEMAS / "sarif-schema-2.1.0.json"
    if not schema_path.is_file():
        pytest.skip("../shared/schemas is not present")
    data = json.loads(renderer("sarif")(report))
    jsonschema.validate(data, json.loads(schema_path.read_text()))
    run = data["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rule_ids == sorted({f.rule for f in report.findings})  # only rules seen
    for rule in run["tool"]["driver"]["rules"]:
        assert rule["help"]["text"] and rule["helpUri"].endswith(".md")
    for res in run["results"]:
        loc = res["locations"][0]["physicalLocation"]
        assert not loc["artifactLocation"]["uri"].startswith("/")
        assert loc["region"]["startLine"] >= 1
        assert res["message"]["text"]
        assert run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
    suppressed = [r for r in run["results"] if r.get("suppressions")]
    assert [r["ruleId"] for r in suppressed] == ["RC201"]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["RC101"] == "error" and levels["RC201"] == "warning"


def test_junit_one_suite_per_file(report: Report):
    root = ET.fromstring(renderer("junit")(report))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"ok/Dockerfile", "svc/Dockerfile"}
    assert suites["ok/Dockerfile"].get("failures") == "0"
    failures = suites["svc/Dockerfile"].findall("testcase/failure")
    assert int(suites["svc/Dockerfile"].get("failures") or -1) == len(failures) == len(report.failing)
    assert root.get("failures") == str(len(report.failing))
    skipped = suites["svc/Dockerfile"].findall("testcase/skipped")
    assert any("suppressed" in (s.get("message") or "") for s in skipped)


def test_github_annotations_escape_and_limit():
    loc = Location("a,b:c.Dockerfile", 3, 2)
    findings = tuple(Finding("RC301", Severity.ERROR, f"50% bad\nline {k}", loc) for k in range(12))
    rep = Report(findings, {"RC301": META["RC301"]}, ("a,b:c.Dockerfile",), "0")
    out = renderer("github")(rep).splitlines()
    assert (
        out[0] == "::error file=a%2Cb%3Ac.Dockerfile,line=3,col=2,title=RC301 pip-install-unpinned::50%25 bad%0Aline 0"
    )
    assert out[-1].startswith("::notice title=reprocheck::12 errors: GitHub shows only 10")


def test_json_lists_suppressed_apart(report: Report):
    data = json.loads(renderer("json")(report))
    assert all(f["rule"] != "RC201" for f in data["findings"])
    assert [f["rule"] for f in data["suppressed"]] == ["RC201"]
    assert data["summary"]["suppressed"] == 1
    assert data["files"] == ["ok/Dockerfile", "svc/Dockerfile"]


def test_text_and_markdown(report: Report):
    text = renderer("text")(report)
    assert text.startswith("svc/Dockerfile\n")
    assert "1 suppressed by pragmas" in text
    md = renderer("markdown")(report)
    assert md.startswith("## reprocheck: ❌ failed") and "| `svc/Dockerfile` | 1 | RC101" in md


def test_every_format_renders_an_empty_report():
    empty = Report((), {}, (), "0")
    for fmt in FORMATS:
        assert isinstance(renderer(fmt)(empty), str)


def test_sarif_uri_is_relative_for_absolute_paths(make_project, monkeypatch):
    root = make_project({"Dockerfile": "FROM python\n"})
    monkeypatch.chdir(root)
    rep = lint_paths([str(Path(root) / "Dockerfile")], LintOptions(isolated=True))
    data = json.loads(renderer("sarif")(rep))
    assert data["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "Dockerfile"


def test_a_diagnosis_reaches_every_format():
    """cause, evidence and details of a runtime finding: structured in JSON and SARIF, shown in text and
    Markdown."""
    import jsonschema

    from tests.conftest import ROOT

    finding = Finding(
        "RC805",
        Severity.ERROR,
        "the container's prediction differs; likely cause: timezone",
        Location("golden/predictions.json", 1),
        "compute in UTC",
        cause="timezone",
        evidence=("timezone: Europe/Berlin (UTC+01:00) on the host, Etc/UTC (UTC+00:00) in the image",),
        details={"timezone": {"host": "Europe/Berlin", "image": "Etc/UTC"}},
    )
    rep = Report((finding,), {"RC805": META["RC805"]}, ("golden/predictions.json",), "0")
    data = json.loads(renderer("json")(rep))
    jsonschema.validate(data, json.loads((ROOT / "docs" / "report.schema.json").read_text()))
    (out,) = data["findings"]
    assert out["cause"] == "timezone" and out["details"]["timezone"]["host"] == "Europe/Berlin"
    (result,) = json.loads(renderer("sarif")(rep))["runs"][0]["results"]
    assert result["properties"]["cause"] == "timezone" and result["properties"]["evidence"] == list(finding.evidence)
    assert "cause: timezone" in renderer("text")(rep) and "Europe/Berlin (UTC+01:00)" in renderer("text")(rep)
    assert "**cause:** timezone" in renderer("markdown")(rep)
