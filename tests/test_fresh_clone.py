"""The README's two commands work on a fresh clone in new virtual environments: "Install" then `reprocheck`,
and "Develop" (the command CI runs). Slow (minutes: it installs from the package index), so marked
``fresh_clone``; CI runs it with the rest."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_readme import readme_block

pytestmark = [pytest.mark.fresh_clone, pytest.mark.xdist_group("fresh_clone")]
INSTALL_TIMEOUT = 1800  # seconds: a cold package cache on a loaded machine


def _commands(block: str) -> list[list[str]]:
    """The command lines of a README block, comments dropped."""
    return [shlex.split(line.split("#", 1)[0]) for line in block.splitlines() if line.split("#", 1)[0].strip()]


def _env(venv: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    path = env.get("PATH", "")
    own_bin = str(Path(sys.executable).parent)  # the venv running these tests must not leak into the clone's
    env["PATH"] = os.pathsep.join(p for p in path.split(os.pathsep) if p != own_bin)
    if venv is not None:
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
        env["VIRTUAL_ENV"] = str(venv)
    return env


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (or no git): nothing to clone")
    dest = tmp_path_factory.mktemp("fresh") / "reprocheck"
    subprocess.run([git, "clone", "--quiet", str(ROOT), str(dest)], check=True, timeout=300)
    return dest


def test_install_then_run_as_the_readme_says(clone: Path, tmp_path: Path):
    venv = tmp_path / "user-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    for argv in _commands(readme_block("## Install")):
        assert argv[:2] == ["pip", "install"], argv  # the README installs with pip, from the checkout
        done = subprocess.run(argv, cwd=clone, env=_env(venv), capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
        assert done.returncode == 0, done.stderr[-3000:]
    run = _commands(readme_block("## Run"))
    assert run == [["reprocheck", "check", "."]]
    exe = venv / "bin" / "reprocheck"
    assert exe.is_file()
    good = clone / "fixtures" / "good"
    lint = subprocess.run(
        [str(exe), "lint", str(good)], cwd=tmp_path, env=_env(venv), capture_output=True, text=True, timeout=300
    )
    assert lint.returncode == 0, lint.stdout[-3000:] + lint.stderr[-3000:]
    bad = subprocess.run(
        [str(exe), "lint", str(clone / "fixtures" / "bad")],
        cwd=tmp_path,
        env=_env(venv),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 1 and "RC101" in bad.stdout
    # the static check only: the engine part of `reprocheck check` is proven by the engine tests
    static = subprocess.run(
        [str(exe), *run[0][1:], "--static-only"],
        cwd=good / next(p.name for p in sorted(good.iterdir()) if (p / "Dockerfile").is_file()),
        env=_env(venv),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert static.returncode == 0, static.stdout[-3000:] + static.stderr[-3000:]


def test_develop_command_sets_up_and_runs_the_tests(clone: Path):
    (command,) = _commands(readme_block("<!-- test-command -->"))
    done = subprocess.run(
        [*command, "tests/test_readme.py", "-q", "-p", "no:cacheprovider"],
        cwd=clone,
        env=_env(None),
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert re.search(r"\b[1-9]\d* passed", done.stdout) and "failed" not in done.stdout, done.stdout[-3000:]
    assert (clone / ".venv" / "bin" / "pytest").is_file()  # what the tests need came from the command itself
