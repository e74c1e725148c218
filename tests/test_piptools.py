"""Locks made by the real pip-tools against a local index on 127.0.0.1, then judged by reprocheck."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reprocheck.lint.run import LintOptions, lint_paths
from tests.support.local_index import build_index, serve
from tests.support.wheels import make_wheel

pytestmark = pytest.mark.skipif(shutil.which("pip-compile") is None, reason="pip-tools is not installed")


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    dists = tmp_path_factory.mktemp("dists")
    make_wheel(dists, "alpha", "1.0.0")
    make_wheel(dists, "alpha", "1.1.0")
    make_wheel(dists, "beta", "2.0.0", requires=("alpha>=1.0",))
    root = build_index(dists, tmp_path_factory.mktemp("index")).parent
    with serve(root) as url:
        yield f"{url}/simple"


def compile_lock(project: Path, index: str, *extra: str) -> None:
    env = {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "PIP_CONFIG_FILE": "/dev/null",
        "HOME": str(project),
    }
    subprocess.run(
        [
            "pip-compile",
            "--quiet",
            "--strip-extras",
            "--no-emit-index-url",
            "--no-emit-find-links",
            "--index-url",
            index,
            "--cache-dir",
            str(project / ".cache"),
            *extra,
            "-o",
            "requirements.txt",
            "requirements.in",
        ],
        cwd=project,
        check=True,
        env=env,
        capture_output=True,
        timeout=180,
    )


def findings(project: Path, monkeypatch) -> list[tuple[str, str, int]]:
    monkeypatch.chdir(project)
    report = lint_paths(["."], LintOptions(isolated=True))
    return sorted((f.rule, f.location.path, f.location.line) for f in report.active)


def test_a_fresh_hashed_lock_is_clean_and_drift_is_found(tmp_path, index, monkeypatch):
    (tmp_path / "requirements.in").write_text("beta>=2\nalpha>=1.0\n")
    compile_lock(tmp_path, index, "--generate-hashes")
    lock = (tmp_path / "requirements.txt").read_text()
    assert "alpha==1.1.0" in lock and "--hash=sha256:" in lock
    assert findings(tmp_path, monkeypatch) == []
    (tmp_path / "requirements.in").write_text("beta>=2\nalpha>=1.2\ngamma\n")
    assert findings(tmp_path, monkeypatch) == [("RC611", "requirements.in", 3), ("RC612", "requirements.in", 2)]


def test_a_lock_without_hashes_is_flagged(tmp_path, index, monkeypatch):
    (tmp_path / "requirements.in").write_text("alpha\n")
    compile_lock(tmp_path, index)
    assert findings(tmp_path, monkeypatch) == [("RC602", "requirements.txt", 7)]
