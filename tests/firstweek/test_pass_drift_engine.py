"""Item 1 of issue 26 on the real engine: the example's golden, said to come from Python 3.9 and numpy 1.22,
still matches the image; smoke passes and says under what differences, and a team that raises RC870 fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.firstweek.test_quickstart import _stage
from tests.support.engine import skip_without_engine

pytestmark = pytest.mark.engine


def test_a_pass_under_another_python_says_so_and_can_fail_on_purpose(tmp_path: Path):
    skip_without_engine()
    project = _stage(tmp_path)
    path = project / "golden" / "predictions.json.env.json"
    record = json.loads(path.read_text())
    record["interpreter"]["version"] = "3.9.18"
    record["distributions"]["numpy"]["version"] = "1.22.0"
    record["packages"]["numpy"] = "1.22.0"
    path.write_text(json.dumps(record, indent=2))
    r = run_cli("smoke", str(project), "--format", "json")
    assert r.code == 0, r.out + r.err
    (finding,) = [f for f in r.json()["findings"] if f["rule"] == "RC870"]
    assert finding["severity"] == "info"
    assert "Python: 3.9.18 (golden) -> 3.11" in finding["message"] and "numpy 1.22.0 -> 1.26.4" in finding["message"]
    config = project / "pyproject.toml"
    config.write_text(config.read_text().replace('{ RC102 = "info" }', '{ RC102 = "info", RC870 = "warning" }'))
    r = run_cli("smoke", str(project))
    assert r.code == 1 and "RC870" in r.out and "warning" in r.out, r.out + r.err
