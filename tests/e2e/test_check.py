"""reprocheck check: one verdict, exit codes, and every report format validated the way CI reads it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import ROOT, run_cli
from tests.support.engine import engine_or_skip, stage

pytestmark = pytest.mark.engine
REPORT_SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text())
SARIF_SCHEMA_PATH = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def backend():
    return engine_or_skip()


def _stages(data: dict[str, Any]) -> tuple[str, ...]:
    """The statuses of lint, build, smoke, verify, rebuild, in that order."""
    assert [s["name"] for s in data["stages"]] == ["lint", "build", "smoke", "verify", "rebuild"]
    return tuple(s["status"] for s in data["stages"])


def test_a_good_project_passes_every_stage_and_every_report_is_valid(backend, tmp_path: Path):
    project = stage("iris-clean", tmp_path)
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n")
    r = run_cli(
        "check",
        "--progress",
        "plain",
        "--format",
        "json",
        "--junit",
        str(tmp_path / "out.xml"),
        "--sarif",
        str(tmp_path / "out.sarif"),
        cwd=project,
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert r.code == 0, r.err[-3000:]
    data = json.loads(r.out)
    jsonschema.validate(data, REPORT_SCHEMA)
    assert _stages(data) == ("passed", "passed", "passed", "passed", "skipped")
    assert data["summary"]["verdict"] == "passed"
    assert [f["rule"] for f in data["findings"]] == ["RC102"]  # info: the locally built base has no digest

    suites = ET.parse(tmp_path / "out.xml").getroot()
    check_suite = next(s for s in suites if s.get("name") == "reprocheck check")
    assert [c.get("name") for c in check_suite] == ["lint", "build", "smoke", "verify", "rebuild"]
    assert check_suite.get("failures") == "0"
    (rebuild_case,) = [c for c in check_suite if c.get("name") == "rebuild"]
    assert rebuild_case.find("skipped") is not None  # not asked for: skipped, not passed
    finding_cases = [c for s in suites if s.get("name") != "reprocheck check" for c in s]
    assert any("RC102" in (c.get("name") or "") for c in finding_cases)

    sarif = json.loads((tmp_path / "out.sarif").read_text())
    if SARIF_SCHEMA_PATH.is_file():
        jsonschema.validate(sarif, json.loads(SARIF_SCHEMA_PATH.read_text()))
    assert [res["ruleId"] for res in sarif["runs"][0]["results"]] == ["RC102"]

    md = summary.read_text()
    assert md.startswith("earlier step\n") and "## reprocheck: ✅ passed" in md
    assert "| smoke | ✅ passed |" in md


def test_verify_failures_fail_the_gate_and_reach_sarif_and_junit(backend, tmp_path: Path):
    project = stage("drifted", tmp_path, group="verify")
    r = run_cli(
        "check",
        "--progress",
        "quiet",
        "--format",
        "json",
        "--junit",
        str(tmp_path / "out.xml"),
        "--sarif",
        str(tmp_path / "out.sarif"),
        cwd=project,
    )
    assert r.code == 1, r.err
    data = json.loads(r.out)
    jsonschema.validate(data, REPORT_SCHEMA)
    assert _stages(data) == ("failed", "passed", "skipped", "failed", "skipped")
    verify_rules = {f["rule"] for f in data["findings"] if f["rule"].startswith("RC81")}
    assert verify_rules == {"RC811", "RC812", "RC815"}
    sarif = json.loads((tmp_path / "out.sarif").read_text())
    if SARIF_SCHEMA_PATH.is_file():
        jsonschema.validate(sarif, json.loads(SARIF_SCHEMA_PATH.read_text()))
    sarif_rules = {res["ruleId"] for res in sarif["runs"][0]["results"]}
    assert {"RC811", "RC812", "RC815", "RC702"} <= sarif_rules
    failures = [c for c in ET.parse(tmp_path / "out.xml").getroot().iter("testcase") if c.find("failure") is not None]
    names = {c.get("name") for c in failures}
    assert {"lint", "verify"} <= names
    assert any((n or "").startswith("RC812 ") for n in names)


def test_smoke_failures_stay_out_of_sarif(backend, tmp_path: Path):
    project = stage("version-drift", tmp_path)
    r = run_cli("check", "--progress", "quiet", "--format", "json", "--sarif", str(tmp_path / "o.sarif"), cwd=project)
    assert r.code == 1
    data = json.loads(r.out)
    assert _stages(data)[2] == "failed"
    assert "RC805" in {f["rule"] for f in data["findings"]}
    sarif_rules = {res["ruleId"] for res in json.loads((tmp_path / "o.sarif").read_text())["runs"][0]["results"]}
    assert "RC805" not in sarif_rules


def test_a_build_failure_skips_what_needs_the_image(backend, tmp_path: Path):
    project = stage("file-excluded", tmp_path)
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("COPY . ./", "COPY . ./\nRUN python3 -c 'import numpy'"))
    r = run_cli("check", "--progress", "quiet", "--format", "json", cwd=project)
    assert r.code == 1
    data = json.loads(r.out)
    # lint fails too: RC705 sees that `COPY . ./` leaves weights.json (named by predict.py) behind
    assert _stages(data) == ("failed", "failed", "skipped", "skipped", "skipped")
    assert [f["rule"] for f in data["findings"] if f["rule"] == "RC705"] == ["RC705"]
    (finding,) = [f for f in data["findings"] if f["rule"] == "RC801"]
    assert finding["path"] == "Dockerfile" and finding["line"] == 5


def test_without_an_engine_lint_still_runs_and_the_verdict_says_incomplete(tmp_path: Path):
    project = stage("iris-clean", tmp_path)
    env = {"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    r = run_cli("check", "--progress", "quiet", "--format", "json", cwd=project, env=env)
    assert r.code == 3, r.err
    data = json.loads(r.out)
    jsonschema.validate(data, REPORT_SCHEMA)
    assert data["summary"]["verdict"] == "incomplete"
    assert _stages(data) == ("passed", "skipped", "skipped", "skipped", "skipped")
    assert any("no Docker engine" in n and "--static-only" in n for n in data["notes"])
    text = run_cli("check", "--progress", "quiet", cwd=project, env=env)
    assert text.code == 3 and "verdict: incomplete" in text.out
    static = run_cli("check", "--static-only", "--progress", "quiet", "--format", "json", cwd=project, env=env)
    assert static.code == 0
    assert json.loads(static.out)["summary"]["verdict"] == "passed"
    dirty = tmp_path / "dirty"
    dirty.mkdir()
    (dirty / "Dockerfile").write_text("FROM python:3.11\nRUN pip install numpy\n")
    assert run_cli("check", "--static-only", cwd=dirty, env=env).code == 1


def test_check_usage_errors(tmp_path: Path):
    r = run_cli("check", str(tmp_path / "missing"))
    assert r.code == 2 and "is not a directory" in r.err
    (tmp_path / "pyproject.toml").write_text("[tool.reprocheck.smoke]\ncommand = 'python x.py'\ngolden = 'g.json'\n")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    bad = run_cli("check", "--progress", "quiet", cwd=tmp_path)
    assert bad.code == 2 and "pyproject.toml:2" in bad.err and "Traceback" not in bad.err


def test_without_a_smoke_spec_the_verdict_is_incomplete_unless_accepted(backend, tmp_path: Path):
    project = stage("iris-clean", tmp_path)
    config = project / "pyproject.toml"
    text = config.read_text()
    config.write_text(text[: text.index("[tool.reprocheck.smoke]")])
    r = run_cli("check", project.name, "--progress", "quiet", "--format", "json", cwd=tmp_path)
    assert r.code == 3, r.err[-2000:]
    data = json.loads(r.out)
    assert _stages(data) == ("passed", "passed", "skipped", "passed", "skipped")
    assert any("[tool.reprocheck.smoke]" in n and "--no-smoke" in n for n in data["notes"])
    accepted = run_cli("check", project.name, "--no-smoke", "--progress", "quiet", cwd=tmp_path)
    assert accepted.code == 0, accepted.out[-2000:]


def test_sarif_option_and_sarif_format_write_the_same_report(tmp_path: Path):
    """`--sarif F` and `--format sarif --output F` are one report for code scanning: a failed build's log has no
    line of the project to annotate, so neither carries it (issue 21: they wrote different files)."""
    engine_or_skip()
    (tmp_path / "Dockerfile").write_text("FROM reprocheck-fixture/python:3.11-bookworm\nRUN exit 3\n")
    r = run_cli(
        "check", ".", "--no-smoke", "--sarif", "a.sarif", "--format", "sarif", "--output", "b.sarif",
        "--format", "json", "--output", "all.json", "--progress", "quiet", cwd=tmp_path,
    )  # fmt: skip
    assert r.code == 1, r.err
    a, b = (tmp_path / "a.sarif").read_text(), (tmp_path / "b.sarif").read_text()
    assert a == b
    build_rules = {f["rule"] for f in json.loads((tmp_path / "all.json").read_text())["findings"]} - {
        res["ruleId"] for res in json.loads(a)["runs"][0]["results"]
    }
    assert build_rules, "the JSON report has the build's finding, the SARIF does not"
