"""reprocheck init: a commented smoke table, never over an existing one, atomically, line endings kept."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import pytest

from reprocheck.errors import ReprocheckError
from reprocheck.runtime.scaffold import detect, init
from reprocheck.smoke.spec import parse_spec
from tests.conftest import run_cli


def _smoke(path: Path) -> dict[str, Any]:
    data = tomllib.loads(path.read_text())
    table: dict[str, Any] = data["tool"]["reprocheck"]["smoke"] if path.name == "pyproject.toml" else data["smoke"]
    return table


def test_writes_a_table_the_smoke_spec_accepts(tmp_path: Path):
    (tmp_path / "predict.py").write_text("print(1)\n")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    done = init(tmp_path)
    assert done.created and done.detected.script == "predict.py" and not done.detected.server
    table = _smoke(tmp_path / "pyproject.toml")
    assert table["command"] == ["python", "predict.py"]
    spec = parse_spec(table, tmp_path, "pyproject.toml", (tmp_path / "pyproject.toml").read_text())
    assert spec.golden == tmp_path / "golden.json"


def test_keeps_the_file_its_line_endings_and_mode(tmp_path: Path):
    path = tmp_path / "pyproject.toml"
    original = b'[project]\r\nname = "app"  # a comment\r\n\r\n[tool.reprocheck]\r\nignore = ["RC102"]'
    path.write_bytes(original)
    os.chmod(path, 0o640)
    init(tmp_path)
    data = path.read_bytes()
    assert data.startswith(original + b"\r\n\r\n[tool.reprocheck.smoke]\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert path.stat().st_mode & 0o777 == 0o640
    assert tomllib.loads(data.decode())["tool"]["reprocheck"]["ignore"] == ["RC102"]


@pytest.mark.parametrize(
    "existing",
    [
        '[tool.reprocheck.smoke]\ncommand = ["python", "mine.py"]\n',
        '[tool.reprocheck]\nsmoke.command = ["python", "mine.py"]\n',
        "[tool.reprocheck.smoke.serve]\nport = 1\n",
    ],
)
def test_never_overwrites_an_existing_table(tmp_path: Path, existing: str):
    path = tmp_path / "pyproject.toml"
    path.write_text(existing)
    with pytest.raises(ReprocheckError, match="already has"):
        init(tmp_path)
    assert path.read_text() == existing


def test_refuses_links_and_broken_files(tmp_path: Path):
    (tmp_path / "elsewhere.toml").write_text("")
    (tmp_path / "pyproject.toml").symlink_to(tmp_path / "elsewhere.toml")
    with pytest.raises(ReprocheckError, match="regular file"):
        init(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "pyproject.toml").write_text("[project\n")
    with pytest.raises(ReprocheckError, match="does not parse"):
        init(other)
    assert (other / "pyproject.toml").read_text() == "[project\n"


def test_a_reprocheck_toml_gets_a_smoke_table(tmp_path: Path):
    (tmp_path / "reprocheck.toml").write_text('ignore = ["RC102"]\n')
    init(tmp_path)
    assert _smoke(tmp_path / "reprocheck.toml")["golden"] == "golden.json"
    assert not (tmp_path / "pyproject.toml").exists()


def test_detects_a_server_and_its_port(tmp_path: Path):
    (tmp_path / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\napp.run(port=5001)\n")
    found = detect(tmp_path)
    assert (found.script, found.server, found.port) == ("app.py", True, 5001)
    init(tmp_path)
    assert _smoke(tmp_path / "pyproject.toml")["serve"]["port"] == 5001
    (tmp_path / "predict.py").write_text("print(1)\n")
    assert detect(tmp_path).script == "predict.py"  # a predict script comes first
    assert detect(tmp_path / "nothing-here").script is None


def test_the_command(tmp_path: Path):
    (tmp_path / "main.py").write_text("print(1)\n")
    r = run_cli("init", str(tmp_path))
    assert r.code == 0 and "main.py" in r.out
    again = run_cli("init", str(tmp_path))
    # a second init leaves the table and says so; it is not an error (README's quick start runs it on the example)
    assert again.code == 0 and "already has" in again.out and "nothing was changed" in again.out
