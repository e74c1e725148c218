"""The whole lint engine on generated projects: a Dockerfile and the dependency files it may install,
linted as `reprocheck lint .` would. No exception escapes, no finding says "internal error", and every
finding names a file of the project (or one it reached) and a line within it."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from reprocheck.engine.run import LintOptions, lint_paths
from tests.fuzz import strategies as s
from tests.fuzz.strategies import FUZZ

FILES = {
    "requirements.txt": s.requirements(),
    "requirements.in": s.requirements(),
    "pyproject.toml": s.pyproject(),
    "uv.lock": s.uv_lock(),
    "poetry.lock": s.poetry_lock(),
    "Pipfile": s.pipfile(),
    "Pipfile.lock": s.pipfile_lock(),
    "environment.yml": s.conda_env(),
    "conda-linux-64.lock": s.conda_explicit(),
}


@st.composite
def project(draw: st.DrawFn) -> dict[str, str]:
    files = {"Dockerfile": draw(s.dockerfile())}
    names = draw(st.lists(st.sampled_from(sorted(FILES)), unique=True, max_size=4))
    for name in names:
        files[draw(st.sampled_from([name, f"sub/{name}"]))] = draw(FILES[name])
    if draw(st.booleans()):
        files["sub/Dockerfile.gpu"] = draw(s.dockerfile())
    return files


@FUZZ
@given(project(), st.sampled_from([".", "Dockerfile"]))
def test_lint_engine_on_generated_projects(files: dict[str, str], target: str):
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        for name, text in files.items():
            path = Path(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="")
        report = lint_paths([target], LintOptions(isolated=True))
        for f in report.findings:
            assert "internal error" not in f.message, f
            path = Path(f.location.path)
            assert path.is_file(), f
            lines = path.read_bytes().count(b"\n") + 1
            assert 1 <= f.location.line <= lines, (f, lines)
