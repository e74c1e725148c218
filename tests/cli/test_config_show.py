"""``reprocheck config --show``: the settings that judge a file, with their sources; the JSON report names the
configuration files; docs/config.schema.json accepts every TOML example of the README and refuses typos."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from reprocheck.cli.app import main
from tests.conftest import ROOT

SCHEMA = json.loads((ROOT / "docs" / "config.schema.json").read_text(encoding="utf-8"))
PYPROJECT = """\
[tool.reprocheck]
ignore = ["RC102"]
failure-threshold = "error"
[tool.reprocheck.per-file-ignores]
"svc/*" = ["RC3"]
[tool.reprocheck.smoke]
command = ["python", "predict.py"]
golden = "golden.json"
"""


@pytest.fixture
def project(make_project, monkeypatch) -> Path:
    root = make_project(
        {
            ".git/HEAD": "ref: main\n",
            "pyproject.toml": PYPROJECT,
            ".hadolint.yaml": "ignored: [DL3008]\nno-fail: true\n",
            "svc/Dockerfile": "FROM python\nRUN apt-get install -y curl\n",
        }
    )
    monkeypatch.chdir(root)
    return Path(root)


def test_show_names_the_source_of_each_setting(project: Path, capsys):
    assert main(["config", "--show", "-f", "json", "svc/Dockerfile"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["config_files"] == ["pyproject.toml", ".hadolint.yaml"]
    s = data["settings"]
    assert s["failure-threshold"] == {"value": "error", "source": "pyproject.toml"}
    assert s["ignore"] == {
        "value": ["RC102", "RC201"],
        "source": "pyproject.toml + .hadolint.yaml (hadolint `ignored`)",
    }
    assert s["exit-zero"] == {"value": True, "source": ".hadolint.yaml (hadolint `no-fail`)"}
    assert s["platform"] == {"value": "linux/amd64", "source": "default"}
    assert s["select"] == {"value": ["ALL"], "source": "default"}
    assert data["sections"] == {"smoke": "pyproject.toml"}
    assert "per-file-ignores `svc/*` ignores RC3 in this file" in data["notes"]
    assert set(s) <= set(SCHEMA["properties"])  # every setting shown is one the schema documents


def test_show_text_and_isolated(project: Path, capsys):
    assert main(["config", "--show", "svc"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# settings for svc\n# configuration files: pyproject.toml, .hadolint.yaml\n")
    assert re.search(r'^failure-threshold = "error" +# pyproject\.toml$', out, re.MULTILINE)
    assert main(["config", "--show", "--isolated", "svc"]) == 0
    out = capsys.readouterr().out
    assert "# configuration files: none (defaults)" in out and "pyproject.toml" not in out.split("\n", 2)[2]
    assert main(["config", "--show", "missing"]) == 2
    assert "`missing` does not exist" in capsys.readouterr().err


def test_the_json_report_names_the_config_files(project: Path, capsys):
    assert main(["lint", "-f", "json", "svc"]) == 0  # no-fail: report only
    assert json.loads(capsys.readouterr().out)["config_files"] == ["pyproject.toml", ".hadolint.yaml"]
    assert main(["lint", "--isolated", "-f", "json", "svc"]) == 1
    assert json.loads(capsys.readouterr().out)["config_files"] == []


# ---- the schema


def _readme_tables() -> list[tuple[int, dict[str, Any]]]:
    """Each ```toml block of the README as the reprocheck table it configures (``[tool.reprocheck...]`` of a
    pyproject.toml, or the top level of a .reprocheck.toml)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    out = []
    for m in re.finditer(r"```toml\n(.*?)```", text, re.DOTALL):
        data = tomllib.loads(m.group(1))
        table = data["tool"]["reprocheck"] if "tool" in data else data
        out.append((text.count("\n", 0, m.start()) + 1, table))
    return out


def test_every_readme_example_validates():
    jsonschema = pytest.importorskip("jsonschema")
    tables = _readme_tables()
    assert len(tables) >= 4
    for line, table in tables:
        errors = [e.message for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(table)]
        assert not errors, f"README.md:{line}: {errors}"


def test_the_schema_refuses_typos_and_bad_values():
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for bad in (
        {"ignores": ["RC102"]},
        {"failure-threshold": "fatal"},
        {"disallow-inline-ignores": "yes"},
        {"smoke": {"comand": ["x"]}},
        {"smoke": {"compare": "fuzzy"}},
        {"rebuild": {"allow-causes": ["weather"]}},
    ):
        assert list(validator.iter_errors(bad)), bad


def test_the_schema_knows_exactly_the_keys_the_parsers_accept():
    from reprocheck.lint import config
    from reprocheck.rebuild.spec import _KNOWN as REBUILD
    from reprocheck.smoke.spec import _KNOWN as SMOKE
    from reprocheck.smoke.spec import _SERVE_KNOWN as SERVE
    from reprocheck.verify.spec import _KNOWN as VERIFY

    props = SCHEMA["properties"]
    top = {*config._LIST_KEYS, "severity", "failure-threshold", "per-file-ignores", "platform", "max-file-size"}
    top |= {"disallow-inline-ignores", "exit-zero", "rule-url", *config._OTHER_SECTIONS}
    assert set(props) == top
    assert set(props["smoke"]["properties"]) == SMOKE
    assert set(props["smoke"]["properties"]["serve"]["properties"]) == SERVE
    assert set(props["verify"]["properties"]) == VERIFY
    assert set(props["rebuild"]["properties"]) == REBUILD
