"""Issue 24 faults 7 and 9 on the real engine: a project directory of 250 characters, and build contexts
holding file names that are not UTF-8."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.support.engine import BASE_IMAGE, engine_or_skip

pytestmark = pytest.mark.engine

TINY = {
    "Dockerfile": f"FROM {BASE_IMAGE}\nCOPY p.py /app/\nWORKDIR /app\n",
    "pyproject.toml": '[tool.reprocheck.smoke]\ncommand = ["python3", "p.py"]\ngolden = "golden.json"\n',
    "p.py": "print([1])\n",
    "golden.json": "[1]\n",
}


@pytest.fixture(scope="module")
def backend():
    return engine_or_skip()


def test_a_250_character_project_directory(backend, make_project, tmp_path: Path):
    project = make_project(TINY, tmp_path / ("Long.Project_" + "x" * 237))
    assert len(project.name) == 250
    try:
        r = run_cli("smoke", "--progress", "quiet", "--format", "json", cwd=project)
        assert r.code == 0, r.err[-2000:]
        built = [n for n in json.loads(r.out)["notes"] if n.startswith("built ")]
        name = built[0].split()[1].split(":")[0]
        assert name.startswith("reprocheck/long.project_xxx") and len(name) <= 75, name
        again = run_cli("smoke", "--progress", "quiet", cwd=project)
        assert again.code == 0 and "reused image" in again.out, again.err
    finally:
        run_cli("clean", str(project))
