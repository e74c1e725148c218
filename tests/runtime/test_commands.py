"""The project commands take PROJECT the same way, find its configuration from there, and say what they
could not prove; no engine is needed for any of this."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

SMOKE = '[tool.reprocheck.smoke]\ncommand = ["python", "predict.py"]\ngolden = "golden.json"\n'


def _no_engine(tmp_path: Path) -> dict[str, str]:
    return {"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}


def _project(root: Path, smoke: bool = True) -> Path:
    root.mkdir(parents=True)
    (root / "Dockerfile").write_text("FROM scratch\nCOPY predict.py /\n")
    (root / "predict.py").write_text("print(1)\n")
    (root / "pyproject.toml").write_text("[tool.reprocheck]\n" + (SMOKE if smoke else ""))
    return root


@pytest.mark.parametrize("command", ["smoke", "verify", "rebuild", "record", "check", "init"])
def test_every_project_command_takes_the_project_as_an_argument(tmp_path: Path, command: str):
    r = run_cli(command, str(tmp_path / "missing"), cwd=tmp_path)
    assert r.code == 2 and "missing" in r.err and "unexpected extra argument" not in r.err, r.err


def test_the_projects_configuration_is_used_from_any_directory_and_paths_are_relative(tmp_path: Path):
    _project(tmp_path / "p")
    r = run_cli("smoke", "p", cwd=tmp_path, env=_no_engine(tmp_path))
    assert r.code == 2
    assert r.err.startswith("p/pyproject.toml:4: error: the golden output `p/golden.json` does not exist"), r.err


def test_smoke_without_a_spec_says_which_table_to_add(tmp_path: Path):
    _project(tmp_path / "p", smoke=False)
    r = run_cli("smoke", "p", cwd=tmp_path, env=_no_engine(tmp_path))
    assert r.code == 2 and "[tool.reprocheck.smoke]" in r.err and "reprocheck init" in r.err


def test_check_without_a_smoke_spec_is_incomplete_unless_accepted(tmp_path: Path):
    _project(tmp_path / "p", smoke=False)
    r = run_cli("check", "p", "--format", "json", "--progress", "quiet", cwd=tmp_path, env=_no_engine(tmp_path))
    assert r.code == 3
    data = json.loads(r.out)
    smoke = next(s for s in data["stages"] if s["name"] == "smoke")
    assert smoke["status"] == "skipped" and "no smoke spec in p/pyproject.toml" in smoke["detail"]
    assert data["stages"][0]["detail"] == "2 files linted"  # the Dockerfile and pyproject.toml
    assert any('command = ["python", "predict.py"]' in n for n in data["notes"])
    static = run_cli("check", "p", "--static-only", "--no-smoke", cwd=tmp_path, env=_no_engine(tmp_path))
    assert static.code == 0, static.out
    (tmp_path / "p" / "pyproject.toml").unlink()
    one = run_cli("check", "p", "--static-only", "--format", "json", cwd=tmp_path, env=_no_engine(tmp_path))
    assert json.loads(one.out)["stages"][0]["detail"] == "1 file linted"


def test_no_engine_is_one_line_without_python_reprs(tmp_path: Path):
    _project(tmp_path / "p")
    (tmp_path / "p" / "golden.json").write_text("1\n")
    r = run_cli("verify", "p", cwd=tmp_path, env=_no_engine(tmp_path))
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    assert "no Docker engine" in r.err and "Error(" not in r.err and "('" not in r.err, r.err


def test_audit_check_without_an_engine_says_why(tmp_path: Path):
    _project(tmp_path / "p")
    r = run_cli("audit", "--check", ".", cwd=tmp_path, env=_no_engine(tmp_path))
    assert r.code == 2 and "no Docker engine" in r.err and len(r.err.strip().splitlines()) == 1, r.err


@pytest.mark.parametrize(
    ("argv", "allowed"),
    [
        (["smoke", "--progress", "loud"], "'auto', 'plain', 'quiet'"),
        (["check", "--color", "purple"], "'auto', 'always', 'never'"),
        (["verify", "--failure-threshold", "fatal"], "'error', 'warning', 'info'"),
        (["rebuild", "--format", "pdf"], "'text', 'json'"),
        (["rebuild", "--allow-cause", "clock"], "content"),
        (["smoke", "--build-arg", "NOEQUALS"], "KEY=VALUE"),
        (["audit", "--format", "xml"], "'table', 'json', 'csv', 'markdown'"),
    ],
)
def test_invalid_choices_exit_2_naming_the_allowed_ones(tmp_path: Path, argv: list[str], allowed: str):
    r = run_cli(*argv, cwd=tmp_path)
    assert r.code == 2 and allowed in r.err and "Traceback" not in r.err, r.err


def test_format_choices_are_the_reporters():
    from reprocheck.cli._options import FormatChoice
    from reprocheck.cli.audit import AuditFormat
    from reprocheck.cli.rebuild import CAUSES
    from reprocheck.rebuild.explain import CAUSES as EXPLAINED
    from reprocheck.report import FORMATS
    from reprocheck.report.audit_table import FORMATS as AUDIT_FORMATS

    assert [f.value for f in FormatChoice] == list(FORMATS)
    assert [f.value for f in AuditFormat] == list(AUDIT_FORMATS)
    assert list(CAUSES) == list(EXPLAINED)
