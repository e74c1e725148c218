from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pushed import Pushed, pushed_images


@pytest.fixture(scope="module")
def pushed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pushed]:
    from tests.support.engine import engine_or_skip

    engine_or_skip()
    with pushed_images(tmp_path_factory.mktemp("registry")) as p:
        yield p


def git_apply(repo: Path, patch: str) -> subprocess.CompletedProcess[str]:
    """Apply ``patch`` with the real git in ``repo`` (made a repository if it is not one)."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    if not (repo / ".git").exists():
        subprocess.run([git, "init", "-q", str(repo)], check=True)
    proc = subprocess.run(
        [git, "apply", "--verbose", "-"], input=patch.encode(), cwd=repo, capture_output=True, check=False
    )
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def fix_diff(project: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """``reprocheck fix --diff``, its output read as bytes (text mode would turn CRLF into LF)."""
    import os
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "reprocheck", "fix", "--diff", *args],
        cwd=project,
        capture_output=True,
        timeout=300,
        check=False,
        env={**os.environ, **(env or {})},
    )
    return proc.returncode, proc.stdout.decode("utf-8", "surrogateescape"), proc.stderr.decode()
