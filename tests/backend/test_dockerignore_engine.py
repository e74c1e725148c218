"""The .dockerignore matcher against docker itself: the same context sent by a real BuildKit build (exported
to a directory, no image made) and listed by ``context_files``. Includes the pattern that made smoke hang
(``**/`` twelve times, then ``x``), which docker builds at once."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from reprocheck.backend.buildkit_cli import docker_cli
from reprocheck.backend.inputs import context_files
from reprocheck.lint.dockerignore import DockerIgnore
from tests.support.engine import engine_or_skip

pytestmark = pytest.mark.engine

FILES = [
    "a/b/x/f",
    "a/b/y",
    "a/x.txt",
    "x/g",
    "m/keep.bin",
    "m/drop.bin",
    "b[1].txt",
    "c.txt",
    "!.txt",
    "d.py",
    "deep/" + "s/" * 30 + "x",
    "deep/" + "s/" * 30 + "kept",
    "a*b",
    "axb",
    "src/pkg/__pycache__/m.pyc",
    "src/pkg/m.py",
]

IGNORES = [
    "**/x\nm\n!m/keep.bin\n[a-c].txt\nb\\[1\\].txt\n",
    "**/" * 12 + "x\n",
    "[!a].txt\na\\*b\n**/__pycache__\n",
    "*\n!src\n!Dockerfile\n",
    "deep/**\n!deep/s\n[^d]*.py\n",
    # Not here: an exception with a wildcard under an excluded directory (`*` then `!src/**/*.py`). Docker
    # 20.10's walker skips the directory unless the exception's text starts with its path; newer clients walk
    # into it. context_files walks into it (the newer behaviour); which files match is the same either way.
]


@pytest.mark.parametrize("ignore", IGNORES)
def test_context_files_are_what_docker_sends(tmp_path: Path, ignore: str):
    engine_or_skip()
    context = tmp_path / "ctx"
    for rel in FILES:
        (context / rel).parent.mkdir(parents=True, exist_ok=True)
        (context / rel).write_text(rel)
    (context / "Dockerfile").write_text("FROM scratch\nCOPY . /\n")
    (context / ".dockerignore").write_text(ignore)
    ours = {rel for rel, _ in context_files(context, DockerIgnore.for_context(context, context / "Dockerfile"))}
    out = tmp_path / "out"
    subprocess.run(
        [docker_cli(), "build", "-q", "-o", f"type=local,dest={out}", str(context)],
        env={**os.environ, "DOCKER_BUILDKIT": "1"},
        check=True,
        capture_output=True,
        timeout=300,
    )
    theirs = {p.relative_to(out).as_posix() for p in out.rglob("*") if not p.is_dir()}
    assert ours == theirs
