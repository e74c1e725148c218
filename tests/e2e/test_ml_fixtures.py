"""fixtures/ml/*: real ML wheels from the package index (downloaded on the host into the shared wheelhouse,
installed offline in the image) on the Debian-minbase fixture base. Each broken project really breaks in the
container for the reason its expect.toml states, and ``check`` names it; the good one passes every stage."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import ROOT, run_cli
from tests.support.engine import assert_nothing_left, engine_or_skip, expected, stage

pytestmark = pytest.mark.engine
REPORT_SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text())
ML = [
    pytest.param(p.name, marks=[pytest.mark.slow] if expected(p).get("slow") else [], id=p.name)
    for p in sorted((ROOT / "fixtures" / "ml").iterdir())
    if (p / "expect.toml").is_file()
]


@pytest.fixture(scope="module")
def backend():
    return engine_or_skip()


@pytest.mark.parametrize("name", ML)
def test_ml_fixture(name: str, backend, tmp_path: Path):
    project = stage(name, tmp_path, group="ml")
    expect = expected(project)
    r = run_cli("check", "--progress", "plain", "--format", "json", cwd=project)
    assert r.code == expect["exit"], r.err[-3000:] + r.out[-3000:]
    data = json.loads(r.out)
    jsonschema.validate(data, REPORT_SCHEMA)  # ML8xx ids are part of the report's contract
    failing = [f["rule"] for f in data["findings"] if f["severity"] in ("error", "warning")]
    for rule in expect["rules"]:  # type: ignore[attr-defined]
        assert rule in failing, (rule, data["findings"])
    if expect["exit"] == 0:
        assert failing == [], data["findings"]
        assert [s["status"] for s in data["stages"]][:4] == ["passed"] * 4
    text = json.dumps(data)
    for phrase in list(expect.get("says", [])):  # type: ignore[call-overload]
        assert phrase in text, (phrase, data["findings"])
    assert_nothing_left(backend, project, images=False)  # the smoke cache image stays, nothing else
