"""``record`` on this machine: the environment record, two runs, nondeterminism found (no Docker)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from reprocheck.smoke.record import record
from reprocheck.smoke.spec import load_spec

PYPROJECT = """\
[tool.reprocheck.smoke]
command = ["{python}", "predict.py"]
golden = "golden/out.json"
compare = "json"
rtol = 1e-9
"""


def _project(make_project, predict: str, extra: str = "") -> Path:
    root: Path = make_project(
        {
            "pyproject.toml": PYPROJECT.format(python=sys.executable) + extra,
            "predict.py": predict,
            "Dockerfile": "FROM scratch\n",
        }
    )
    return root


def test_deterministic_prediction_is_recorded_with_its_environment(make_project, monkeypatch):
    predict = "import json, os\nos.environ.get('MODEL_THRESHOLD')\nprint(json.dumps({'p': [0.25, 0.75]}))\n"
    root = _project(make_project, predict)  # the code reads MODEL_THRESHOLD: the record keeps its value
    monkeypatch.setenv("MODEL_THRESHOLD", "0.7")
    monkeypatch.setenv("SERVICE_API_KEY", "s3cret-value")
    result = record(load_spec(root / "pyproject.toml", root))
    assert result.findings == () and result.moving == () and result.runs == 2
    data = json.loads(result.env_record.read_text())
    assert data["determinism"] == {"deterministic": True, "moving": [], "runs": 2}
    assert data["cwd"] == "."
    assert data["environment"]["MODEL_THRESHOLD"] == "0.7"
    assert data["environment"]["SERVICE_API_KEY"].startswith("sha256:")
    assert "s3cret-value" not in result.env_record.read_text()
    assert data["interpreter"]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert "pytest" in data["distributions"]  # every installed distribution, not only the lock's
    for key in ("platform", "timezone", "locale", "hashseed", "schema"):
        assert key in data
    # everything but the `recorded` key is the same bytes on a second identical record
    again = record(load_spec(root / "pyproject.toml", root))
    second = json.loads(again.env_record.read_text())
    data.pop("recorded"), second.pop("recorded")
    assert data == second


def test_unseeded_prediction_is_found_at_record_time(make_project):
    predict = "import json, random\nprint(json.dumps({'label': 'a', 'draw': [random.random()]}))\n"
    root = _project(make_project, predict, "runs = 3\n")
    result = record(load_spec(root / "pyproject.toml", root))
    assert result.runs == 3 and result.moving == ("$.draw[*]",)
    (finding,) = result.findings
    assert finding.rule == "RC808" and "$.draw[*]" in finding.message and "unseeded randomness" in (finding.hint or "")
    assert json.loads(result.env_record.read_text())["determinism"]["moving"] == ["$.draw[*]"]


def test_the_record_follows_its_schema(make_project):
    import jsonschema

    from tests.conftest import ROOT

    root = _project(make_project, "print('{\"p\": 1}')\n")
    result = record(load_spec(root / "pyproject.toml", root))
    schema = json.loads((ROOT / "docs" / "env-record.schema.json").read_text())
    jsonschema.validate(json.loads(result.env_record.read_text()), schema)
