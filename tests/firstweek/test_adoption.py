"""Item 2 of issue 26: an adoption path. A local base image (the engine has it, no registry digest) is
recognised and its finding says what to do; `check --write-baseline` records lint's and the stages' findings
so a team starts green on purpose, and `--baseline` then fails only on new ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reprocheck.model.location import Location
from reprocheck.rules import META
from reprocheck.runtime.local_images import explain_local
from tests.conftest import run_cli
from tests.firstweek.test_quickstart import _stage
from tests.support.engine import skip_without_engine


def test_an_rc102_finding_about_a_local_image_says_what_to_do():
    rc102 = META["RC102"]
    local = rc102.finding(Location("Dockerfile", 5), "base image `team/base:1` is pinned by tag only", "add the digest")
    other = rc102.finding(Location("Dockerfile", 9), "base image `python:3.11` is pinned by tag only", "add the digest")
    a, b = explain_local([local, other], ["team/base:1"])
    assert a.message.endswith("it is a local image: the engine has it, with no registry digest")
    assert a.hint is not None and "Pin it by ID" in a.hint and "push it to your registry" in a.hint
    assert 'RC102 = "info"  # <why, until when>' in a.hint
    assert b == other  # an image with a registry digest keeps the usual advice


@pytest.mark.engine
def test_first_week_on_a_local_base_image(tmp_path: Path):
    skip_without_engine()
    project = _stage(tmp_path)
    config = project / "pyproject.toml"
    config.write_text(config.read_text().replace('severity = { RC102 = "info" }', ""))  # not accepted yet
    r = run_cli("check", str(project), "--format", "json")
    assert r.code == 1, r.out + r.err
    (rc102,) = [f for f in r.json()["findings"] if f["rule"] == "RC102"]
    assert "reprocheck-fixture/python:3.11-bookworm" in rc102["message"] and "local image" in rc102["message"]
    assert "Pin it by ID" in rc102["hint"]
    # day one: record today's findings and pass
    baseline = project / ".reprocheck-baseline.json"
    r = run_cli("check", str(project), "--write-baseline", str(baseline))
    assert r.code == 0, r.out + r.err
    known = {f["rule"] for f in json.loads(baseline.read_text())["findings"]}
    assert "RC102" in known
    r = run_cli("check", str(project), "--baseline", str(baseline), "--format", "json")
    assert r.code == 0 and not r.json()["findings"], r.out
    assert {f["rule"] for f in r.json()["suppressed"]} == known
    # a stage's finding is in the baseline too: a golden recorded under another Python (RC870), raised
    record_path = project / "golden" / "predictions.json.env.json"
    record = json.loads(record_path.read_text())
    record["interpreter"]["version"] = "3.9.18"
    record_path.write_text(json.dumps(record))
    config.write_text(
        config.read_text().replace("[tool.reprocheck]", '[tool.reprocheck]\nseverity = { RC870 = "warning" }')
    )
    r = run_cli("check", str(project), "--baseline", str(baseline))
    assert r.code == 1 and "RC870" in r.out, r.out  # new: fails
    r = run_cli("check", str(project), "--write-baseline", str(baseline))
    assert r.code == 0 and "RC870" in {f["rule"] for f in json.loads(baseline.read_text())["findings"]}
    assert run_cli("check", str(project), "--baseline", str(baseline)).code == 0
