"""reprocheck's own image (ci/image): staged hermetically by scripts/image-context, clean under its own lint,
built, smoke-tested (it lints the sample project it carries and matches the golden findings) and verified
against its hashed lock by `reprocheck check`; then `docker run <image> lint /src` on a mounted project. The run
leaves no image of its own on the shared engine, labelled or not (its Dockerfile has a builder stage, whose
last image the classic builder used to leave untagged and unlabelled)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.support.engine import RUN_LABEL, SESSION_RUN, engine_or_skip, project_filter, remove_project

pytestmark = pytest.mark.engine
DOCKER = shutil.which("docker") or "/usr/bin/docker"
LABEL = ("--label", f"{RUN_LABEL}={SESSION_RUN}")  # the containers it runs carry this test session's run


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
    # a file of this run in the builder stage's COPY: the stage is built here, not taken from the cache of
    # another run's leftover image, so that what it leaves is this test's to answer for
    (context / "debs" / "run.txt").write_text(uuid.uuid4().hex)
    api = backend.client.api
    before = {i["Id"] for i in api.images(all=True)}
    made: set[str] = set()  # the images the build's own log names, that the engine did not hold before
    try:
        r = run_cli("check", "--progress", "plain", "-f", "json", str(context))
        named = set(re.findall(r"---> ([0-9a-f]{12})$", r.err, re.MULTILINE))
        made = {i["Id"] for i in api.images(all=True) if i["Id"] not in before and _short(i["Id"]) in named}
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
        (image,) = api.images(filters=project_filter(context), quiet=True)
        assert made, "the build named no image it made (was it built with --progress plain?)"
        layers = {h["Id"] for h in api.history(image)}
        assert sorted(_short(i) for i in made - layers) == []  # nothing outside the labelled image and its layers

        # the tool's own commands in the image: its version, and a lint of a project mounted at /src
        version = subprocess.run([DOCKER, "run", "--rm", *LABEL, "--network", "none", image, "--version"],
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
                *LABEL,
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
        client = subprocess.run([DOCKER, "run", "--rm", *LABEL, "--network", "none", "--entrypoint", "docker", image,
                                 "--version"], capture_output=True, text=True, timeout=120)  # fmt: skip
        assert client.returncode == 0 and client.stdout.startswith("Docker version"), client.stderr
        daemon = subprocess.run([DOCKER, "run", "--rm", *LABEL, "--network", "none", "--entrypoint", "sh", image, "-c",
                                 "command -v dockerd containerd runc || true"], capture_output=True, text=True,
                                timeout=120)  # fmt: skip
        assert daemon.stdout.strip() == ""  # the client only, no daemon
    finally:
        remove_project(backend, context)
        left = {i["Id"] for i in api.images(all=True)} & made
        for image_id in left:  # the test's own (its build named them): never left on the shared engine
            backend.remove_image(image_id)
    assert sorted(_short(i) for i in left) == []


def _short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]
