"""reprocheck's own image (ci/image): staged hermetically by scripts/image-context, clean under its own lint,
built, smoke-tested (it lints the sample project it carries and matches the golden findings) and verified
against its hashed lock by `reprocheck check`; then `docker run <image> lint /src` on a mounted project."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.support.engine import engine_or_skip, project_filter, remove_project

pytestmark = pytest.mark.engine
DOCKER = shutil.which("docker") or "/usr/bin/docker"


@pytest.fixture(scope="module")
def backend():
    return engine_or_skip()


def test_the_image_lints_clean_builds_and_passes_its_own_check(backend, tmp_path: Path):
    lint = run_cli("lint", "-f", "json", str(ROOT / "ci" / "image"))
    assert lint.code == 0, lint.out
    assert [f for f in json.loads(lint.out)["findings"] if f["severity"] != "info"] == []

    context = tmp_path / "image"
    staged = subprocess.run(
        [str(ROOT / "scripts" / "image-context"), str(context)], capture_output=True, text=True, timeout=600
    )
    assert staged.returncode == 0, staged.stderr[-3000:]
    assert (context / "debs" / "docker.io.deb").is_file()
    assert len(list((context / "wheels").glob("reprocheck-*.whl"))) == 1
    try:
        r = run_cli("check", "--progress", "quiet", "-f", "json", str(context))
        assert r.code == 0, r.out[-4000:] + r.err[-3000:]
        data = json.loads(r.out)
        stages = {s["name"]: s["status"] for s in data["stages"]}
        assert stages == {
            "lint": "passed",
            "build": "passed",
            "smoke": "passed",
            "verify": "passed",
            "rebuild": "skipped",
        }
        (image,) = backend.client.api.images(filters=project_filter(context), quiet=True)

        # the tool's own commands in the image: its version, and a lint of a project mounted at /src
        version = subprocess.run([DOCKER, "run", "--rm", "--network", "none", image, "--version"],
                                 capture_output=True, text=True, timeout=120)  # fmt: skip
        assert version.returncode == 0 and version.stdout.startswith("reprocheck "), version.stderr
        assert "CPython 3.11" in version.stdout
        sample = tmp_path / "mounted"
        sample.mkdir()
        (sample / "Dockerfile").write_text("FROM debian:latest\n")
        run = subprocess.run(
            [
                DOCKER,
                "run",
                "--rm",
                "--network",
                "none",
                "-v",
                f"{sample}:/src:ro",
                image,
                "lint",
                "-f",
                "concise",
                "/src",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 1, run.stderr
        assert run.stdout.startswith("Dockerfile:1:6: RC101 "), run.stdout  # relative to the WORKDIR, /src
        client = subprocess.run([DOCKER, "run", "--rm", "--network", "none", "--entrypoint", "docker", image,
                                 "--version"], capture_output=True, text=True, timeout=120)  # fmt: skip
        assert client.returncode == 0 and client.stdout.startswith("Docker version"), client.stderr
        daemon = subprocess.run([DOCKER, "run", "--rm", "--network", "none", "--entrypoint", "sh", image, "-c",
                                 "command -v dockerd containerd runc || true"], capture_output=True, text=True,
                                timeout=120)  # fmt: skip
        assert daemon.stdout.strip() == ""  # the client only, no daemon
    finally:
        remove_project(backend, context)
