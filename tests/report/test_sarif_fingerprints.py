"""SARIF results carry the engine's fingerprint (code scanning follows alerts across commits), and each
message reads as a sentence before its hint."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reprocheck.lint.run import LintOptions, lint_paths
from reprocheck.model.finding import Finding, Severity
from reprocheck.model.location import Location
from reprocheck.model.report import Report
from reprocheck.report import renderer
from reprocheck.report.sarif import FINGERPRINT_KEY
from reprocheck.rules import META
from tests.conftest import SCHEMAS

TEXT = "FROM python\nRUN pip install numpy\nRUN wget -O - https://example.com/a.tgz | tar xz\n"


def _sarif(make_project, monkeypatch, text: str) -> Any:
    root = make_project({"Dockerfile": text, ".git/HEAD": "ref: main\n"})
    monkeypatch.chdir(root)
    return json.loads(renderer("sarif")(lint_paths(["."], LintOptions(isolated=True))))


def test_every_result_has_a_fingerprint_that_survives_a_line_shift(make_project, monkeypatch):
    before = _sarif(make_project, monkeypatch, TEXT)["runs"][0]["results"]
    after = _sarif(make_project, monkeypatch, "# moved\n\n" + TEXT)["runs"][0]["results"]
    assert before and all(FINGERPRINT_KEY in r["partialFingerprints"] for r in before)

    def fps(results):
        return sorted((r["ruleId"], r["partialFingerprints"][FINGERPRINT_KEY]) for r in results)

    assert fps(before) == fps(after)
    lines = {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after}
    assert min(lines) == 3


def test_messages_end_with_a_full_stop_before_the_hint(make_project, monkeypatch):
    for r in _sarif(make_project, monkeypatch, TEXT)["runs"][0]["results"]:
        message = r["message"]["text"].partition(" Hint: ")[0]
        assert message.endswith("."), message
        assert not message.endswith(".."), message


def test_schema_with_fingerprints_and_suppressions():
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = SCHEMAS / "sarif-schema-2.1.0.json"
    if not schema_path.is_file():
        pytest.skip("../shared/schemas is not present")
    findings = (
        Finding("RC101", Severity.ERROR, "ends already.", Location("Dockerfile", 1, 6), "pin it", fingerprint="ab:0"),
        Finding("RC301", Severity.WARNING, "no stop", Location("Dockerfile", 2), suppressed_by="baseline `b.json`"),
    )
    report = Report(findings, {r: META[r] for r in ("RC101", "RC301")}, ("Dockerfile",), "0")
    data = json.loads(renderer("sarif")(report))
    jsonschema.validate(data, json.loads(schema_path.read_text()))
    first, second = data["runs"][0]["results"]
    assert first["message"]["text"] == "ends already. Hint: pin it"
    assert first["partialFingerprints"] == {FINGERPRINT_KEY: "ab:0"}
    assert second["message"]["text"] == "no stop." and "partialFingerprints" not in second
