"""RC705: a file the Dockerfile copies by name and .dockerignore drops gets an exception line (`!path`) in the
ignore file the build reads (unsafe: the image then holds it); a file missing from the context is left, with
why; the ignore file keeps its comments and line endings, and a second run changes nothing."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from tests.conftest import run_cli

DOCKERFILE = (
    "FROM python:3.11.9-slim@sha256:" + "1" * 64 + "\n"
    "WORKDIR /app\n"
    "COPY requirements-prod.txt ./\n"
    "COPY model.joblib predict.py ./\n"
    'CMD ["python", "predict.py"]\n'
)
IGNORE = "# models are large: keep them out of the context\r\n*.joblib\r\n.git"


def _rc705(project: Path, *args: str) -> list[tuple[int, str]]:
    r = run_cli("fix", "--select", "RC705", "--format", "json", *args, ".", cwd=project)
    assert r.code in (0, 1), r.err
    return [(f["line"], f.get("hint") or "") for f in json.loads(r.out)["findings"]]


def _project(make_project, ignore_name: str = ".dockerignore") -> Path:
    files = {"p/Dockerfile": DOCKERFILE, f"p/{ignore_name}": IGNORE.encode(), "p/model.joblib": "m", "p/predict.py": ""}
    project: Path = make_project(files) / "p"
    return project


def test_an_excluded_source_gets_an_exception_line_and_a_missing_one_stays(make_project):
    project = _project(make_project)
    os.chmod(project / ".dockerignore", 0o640)
    before = _rc705(project)
    assert [line for line, _ in before] == [3, 4]
    assert (project / ".dockerignore").read_bytes() == IGNORE.encode()  # unsafe: not without --unsafe-fixes
    after = _rc705(project, "--unsafe-fixes")
    assert [line for line, _ in after] == [3]
    assert "not in the build context" in after[0][1]
    assert (project / ".dockerignore").read_bytes() == (IGNORE + "\r\n!model.joblib\r\n").encode()
    assert stat.S_IMODE((project / ".dockerignore").stat().st_mode) == 0o640
    lint = run_cli("lint", "--select", "RC705", "--format", "json", ".", cwd=project)
    assert [f["line"] for f in json.loads(lint.out)["findings"]] == [3]
    again = run_cli("fix", "--unsafe-fixes", "--diff", ".", cwd=project)
    assert again.out == ""


def test_the_dockerfiles_own_ignore_file_is_the_one_written(make_project):
    project = _project(make_project, "Dockerfile.dockerignore")
    (project / ".dockerignore").write_text("*\n")  # not read by this build: the Dockerfile's own file wins
    _rc705(project, "--unsafe-fixes")
    assert (project / "Dockerfile.dockerignore").read_bytes().endswith(b"\r\n!model.joblib\r\n")
    assert (project / ".dockerignore").read_text() == "*\n"


def test_an_ignore_file_linked_from_outside_is_not_written(make_project, tmp_path: Path):
    outside = tmp_path / "outside.dockerignore"
    outside.write_text("*.joblib\n")
    files = {"p/Dockerfile": DOCKERFILE, "p/model.joblib": "m", "p/predict.py": ""}
    project = make_project(files) / "p"
    (project / ".dockerignore").symlink_to(outside)
    _rc705(project, "--unsafe-fixes")
    assert outside.read_text() == "*.joblib\n"
