"""Issue 22 item 0 and issue 26: README's quick start, run as written against the bundled example, ends green;
the same against the broken variant it names ends red with its cause. Real engine; the example's wheels are
staged as the fixtures' are (pip in a container cannot reach an index here), and its own dependencies are
installed into a virtual environment of the test's (the `pip install` lines of the quick start)."""

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
from tests.support.engine import WHEELHOUSE, download_locked_wheels, skip_without_engine
from tests.support.wheels import locked_venv

pytestmark = pytest.mark.engine

EXAMPLE = ROOT / "examples" / "iris-numpy"


def quickstart() -> list[str]:
    """The commands of README's quick start block, comments stripped."""
    text = (ROOT / "README.md").read_text()
    block = text.split("<!-- quickstart -->", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_the_quick_start_is_readmes_first_screen():
    text = (ROOT / "README.md").read_text()
    assert text.index("\n## ") == text.index("\n## Quick start") < 200  # the first section, on the first screen
    commands = quickstart()
    steps = [c.split()[:2] for c in commands if c.startswith("reprocheck ")]
    assert steps == [["reprocheck", "lint"], ["reprocheck", "init"], ["reprocheck", "record"], ["reprocheck", "check"]]
    assert commands[0].startswith("pip install .") and "package name `reprocheck`" in text[:1200]


def _stage(dest: Path) -> Path:
    """The example as a fresh clone has it, plus its wheels (the quick start's `pip download` line)."""
    project = dest / EXAMPLE.name
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("wheels", ".venv", "__pycache__"))
    requirements = project / "requirements.txt"
    download_locked_wheels(requirements)
    (project / "wheels").mkdir()
    for wheel in WHEELHOUSE.glob("numpy-1.26.4-*.whl"):
        shutil.copy(wheel, project / "wheels" / wheel.name)
    return project


def _host_python(project: Path) -> Path:
    """A virtual environment with the model's lock installed (the quick start's `pip install --require-hashes`)."""
    # where a user makes it: ignored by the build (.dockerignore) and by record
    return locked_venv(project, project / ".venv")


def _run(command: str, cwd: Path, bindir: Path) -> subprocess.CompletedProcess[str]:
    argv = shlex.split(command)
    assert argv[0] == "reprocheck", command
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"  # `python` of the spec's command: the model's
    return subprocess.run(
        [sys.executable, "-m", "reprocheck", *argv[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )


def test_the_quick_start_ends_green_and_its_broken_variant_red(tmp_path: Path):
    skip_without_engine()
    if sys.version_info[:2] != (3, 11):
        pytest.skip("the example's lock holds the wheel for CPython 3.11")
    project = _stage(tmp_path)
    bindir = _host_python(project)
    golden = (project / "golden" / "predictions.json").read_bytes()
    ran = []
    for command in quickstart():
        if command.startswith(("pip ", "cd ")):
            continue  # done above: the install, the staged wheels, the directory
        r = _run(command, project, bindir)
        ran.append(command)
        assert r.returncode == 0, f"{command}: exit {r.returncode}\n{r.stdout}\n{r.stderr}"
        if command.startswith("reprocheck check"):
            assert re.search(r"^verdict: passed", r.stdout, re.M), r.stdout
            assert re.search(r"^smoke\s+passed", r.stdout, re.M) and re.search(r"^verify\s+passed", r.stdout, re.M)
        if command.startswith("reprocheck record"):
            assert "1 of 1 locked package at the locked version" in r.stdout, r.stdout
    assert len(ran) == 4
    # the golden committed in the example is what this machine predicts (within the default tolerance)
    import json

    from reprocheck.smoke.compare import compare
    from reprocheck.smoke.spec import load_spec

    spec = load_spec(None, project)
    assert compare(golden, (project / "golden" / "predictions.json").read_bytes(), "json", spec.tolerance).equal
    record = json.loads((project / "golden" / "predictions.json.env.json").read_text())
    assert str(tmp_path) not in json.dumps(record) and record["interpreter"]["executable"] == "./.venv/bin/python"
    # the broken variant the README names: red, with its cause
    broken = next(line for line in (ROOT / "README.md").read_text().splitlines() if ">> .dockerignore" in line)
    assert "echo model.json >> .dockerignore && reprocheck check ." in broken
    with (project / ".dockerignore").open("a") as fh:
        fh.write("model.json\n")
    r = _run("reprocheck check .", project, bindir)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "RC705" in r.stdout and ".dockerignore:6 `model.json`" in r.stdout, r.stdout
    assert re.search(r"^verdict: failed", r.stdout, re.M) and "RC801" in r.stdout
