"""`check` passes on the fixtures/bad projects that `fix` has fixed, for those that can build here: lint, a
real build on the engine, and verify (the image holds the lock); none has a smoke spec (`--no-smoke`).

Hermetic builds: the fixtures' base, `python:3.11.9-slim@sha256:11a4...`, cannot be pulled here, so the
FROM line of each fixed copy is pointed at a stand-in pushed to a local registry (by digest): the Debian
Python base with a virtual environment whose pip installs only from the wheels of the local index (the same
wheels `fix` resolved the locks from), as tests/e2e's hermetic builds do. Nothing else in the fixed copy is
touched. The fixtures that cannot build here are listed in EXCLUDED with the reason.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.fix.test_machinery_fixtures_bad import BAD, WHEELS
from tests.support.local_index import build_index, serve
from tests.support.wheels import make_wheel

pytestmark = [
    pytest.mark.engine,
    pytest.mark.registry,
    pytest.mark.skipif(importlib.util.find_spec("piptools") is None, reason="pip-tools is not installed"),
]
BUILDABLE = (
    "dockerfile-bypasses-lock",
    "partial-hashes",
    "pip-compile-drift",
    "requirements-in-installed",
    "unhashed-lock",
)
_UNREACHABLE = "downloads from hosts that fix's test stands in for on 127.0.0.1, out of a build container's reach"
EXCLUDED = {
    "conda-env-unpinned": "a conda environment: no conda image here",
    "context-file-missing": "copies files that are not in its build context (what RC705 reports)",
    "floating-everything": f"curl | sh, a git clone and a pip VCS install: {_UNREACHABLE}",
    "hadolint-clean-but-floating": f"a pip VCS install: {_UNREACHABLE}",
    "lock-for-other-python": "a lock made for another Python than the image's (RC703 stays: by hand)",
    "mac-only-lock": "a lock with macOS wheels only (RC704 stays: by hand)",
    "model-from-moving-sources": "a micromamba base, a model hub download and uv: none reachable here",
    "pipfile-lock-stale": "pipenv is not in the base image, and its lock stays stale (no pipenv here)",
    "poetry-lock-stale": "poetry is not in the base image, and its lock stays stale (no poetry here)",
    "url-and-vcs-in-lock": f"a lock with URL and VCS entries: {_UNREACHABLE}",
    "uv-lock-stale": "uv is not in the base image, and its lock stays stale (no uv here)",
}
# RC815 (the image runs as root) is verify's finding on these fixtures' missing USER: no lint rule reports it
# and fix does not add users, so it is left out of the verdict, which then judges what fix changed.
CHECK = ("check", "--isolated", "--no-smoke", "--ignore", "RC815", "--progress", "quiet", "--format", "json")
FIXTURE_BASE = "python:3.11.9-slim@sha256:11a4a60b518bf24989d481468076e5d5982884626aed9faeb35b8576fcd223e1"


@dataclass(frozen=True)
class Hermetic:
    index: str  # the local index fix resolves against
    base: str  # the stand-in base, registry/name@digest


@pytest.fixture(scope="module")
def hermetic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hermetic]:
    from tests.support.engine import BASE_IMAGE, RUN_LABEL, SESSION_RUN, engine_or_skip
    from tests.support.pushed import _docker
    from tests.support.registry import local_registry

    engine_or_skip()
    dists = tmp_path_factory.mktemp("dists")
    for name, versions in WHEELS.items():
        for version in versions:
            make_wheel(dists, name, version)
    index_root = build_index(dists, tmp_path_factory.mktemp("index")).parent
    context = tmp_path_factory.mktemp("stand-in")
    shutil.copytree(dists, context / "wheels")
    (context / "Dockerfile").write_text(
        f"FROM {BASE_IMAGE}\n"
        "RUN python3 -m venv /opt/venv\n"
        "ENV PATH=/opt/venv/bin:$PATH PIP_NO_INDEX=1 PIP_FIND_LINKS=/wheels PIP_DISABLE_PIP_VERSION_CHECK=1\n"
        "COPY wheels/ /wheels/\n"
    )
    built: list[str] = []
    with local_registry(tmp_path_factory.mktemp("registry")) as registry, serve(index_root) as index:
        tag = f"{registry}/python:3.11.9-slim"
        try:
            built.append(_docker("build", "-q", "--label", f"{RUN_LABEL}={SESSION_RUN}", "-t", tag, str(context)))
            _docker("push", "-q", tag)
            digests = json.loads(_docker("image", "inspect", "--format", "{{json .RepoDigests}}", tag))
            (digest,) = [d.split("@", 1)[1] for d in digests if d.startswith(f"{registry}/")]
            yield Hermetic(f"{index}/simple", f"{tag}@{digest}")
        finally:
            for image in built:
                subprocess.run(["/usr/bin/docker", "rmi", "-f", image], capture_output=True, timeout=120, check=False)


def test_every_bad_fixture_is_either_checked_or_excluded_with_a_reason():
    names = {p.name for p in BAD.iterdir() if p.is_dir()}
    assert names == set(BUILDABLE) | set(EXCLUDED)
    assert not set(BUILDABLE) & set(EXCLUDED)


@pytest.mark.parametrize("name", BUILDABLE)
def test_check_passes_on_the_fixed_fixture(hermetic: Hermetic, name: str, tmp_path: Path):
    from tests.support.engine import engine_or_skip, remove_project

    project = tmp_path / name
    shutil.copytree(BAD / name, project)
    env = {"PIP_CONFIG_FILE": "/dev/null", "PIP_FIND_LINKS": "", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    before = run_cli("check", "--static-only", "--isolated", "--format", "json", cwd=project, env=env)
    assert before.code == 1, before.out  # the bad fixture fails lint
    fixed = run_cli("fix", "--isolated", "--unsafe-fixes", "--index-url", hermetic.index, ".", cwd=project, env=env)
    assert fixed.code == 0, fixed.out + fixed.err  # nothing left for lint

    dockerfile = project / "Dockerfile"
    text = dockerfile.read_text()
    assert re.search(rf"^FROM {re.escape(FIXTURE_BASE)}$", text, flags=re.MULTILINE), text
    dockerfile.write_text(text.replace(f"FROM {FIXTURE_BASE}", f"FROM {hermetic.base}"))
    try:
        r = run_cli(*CHECK, cwd=project, env=env)
        data = json.loads(r.out)
        stages = {s["name"]: s["status"] for s in data["stages"]}
        assert r.code == 0, f"{name}: {stages}\n{r.out[-3000:]}\n{r.err[-2000:]}"
        assert data["summary"]["verdict"] == "passed"
        assert stages == {
            "lint": "passed",
            "build": "passed",
            "smoke": "skipped",
            "verify": "passed",
            "rebuild": "skipped",
        }
        assert data["findings"] == []
    finally:
        remove_project(engine_or_skip(), project)
