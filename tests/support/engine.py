"""Test support for the Docker side: the engine, the base image, fixtures staged with their wheels."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.support.wheels import make_wheel

ROOT = Path(__file__).resolve().parents[2]
BASE_IMAGE = "reprocheck-fixture/python:3.11-bookworm"
WHEELHOUSE = Path(os.environ.get("REPROCHECK_WHEELHOUSE", Path.home() / ".cache" / "reprocheck-tests" / "wheels"))


def engine_or_skip():  # -> DockerBackend
    """The real engine; skipped when none runs, unless REPROCHECK_REQUIRE_ENGINE is set (CI sets it)."""
    from reprocheck.backend.docker_sdk import DockerBackend
    from reprocheck.errors import EngineUnavailable

    backend = DockerBackend()
    try:
        backend.ping()
    except EngineUnavailable as exc:
        if os.environ.get("REPROCHECK_REQUIRE_ENGINE"):
            pytest.fail(f"REPROCHECK_REQUIRE_ENGINE is set and {exc}")
        pytest.skip(f"no Docker engine: {exc}")
    if backend.inspect(BASE_IMAGE) is None:
        message = f"base image {BASE_IMAGE} is missing: run ci/base_images.sh"
        if os.environ.get("REPROCHECK_REQUIRE_ENGINE"):
            pytest.fail(message)
        pytest.skip(message)
    return backend


def download_locked_wheels(requirements: Path) -> None:
    """Fill the wheelhouse with the lock's wheels (pip download --require-hashes): hermetic builds later."""
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    import hashlib

    marker = WHEELHOUSE / f".done-{hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]}"
    if marker.exists():
        return
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_CONSTRAINT")}
    env["PIP_CONSTRAINT"] = ""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--require-hashes",
            "--only-binary=:all:",
            "--python-version",
            "3.11",
            "--platform",
            "manylinux2014_x86_64",
            "--implementation",
            "cp",
            "-r",
            str(requirements),
            "-d",
            str(WHEELHOUSE),
        ],
        check=True,
        env=env,
        timeout=900,
    )
    marker.touch()


def stage(name: str, dest: Path, group: str = "smoke") -> Path:
    """Copy fixtures/<group>/<name> to ``dest`` and put the wheels its Dockerfile installs into ``wheels/``:
    the lock's wheels from the wheelhouse, and wheels built from ``pkgsrc/<name>/v<version>.py``."""
    src = ROOT / "fixtures" / group / name
    project = dest / name
    shutil.copytree(src, project, ignore=shutil.ignore_patterns("wheels", "__pycache__"))
    if "COPY wheels/" not in (project / "Dockerfile").read_text():
        return project
    wheels = project / "wheels"
    wheels.mkdir()
    kits = [project / "featurekit", *sorted((project / "pkgsrc").glob("*"))]
    for kit in kits:
        for source in sorted(kit.glob("v*.py")) if kit.is_dir() else ():
            code = source.read_text()
            make_wheel(
                wheels,
                kit.name,
                source.stem[1:],
                _header(code, "requires"),
                code=code,
                scripts=_header(code, "console_scripts"),
            )
    requirements = project / "requirements.txt"
    if requirements.is_file() and "--hash" in requirements.read_text():
        download_locked_wheels(requirements)
        names = {
            line.split("==")[0].strip().replace("-", "_").lower()
            for line in requirements.read_text().splitlines()
            if "==" in line and not line.startswith(("#", " "))
        }
        for wheel in WHEELHOUSE.glob("*.whl"):
            if wheel.name.split("-")[0].lower() in names:
                os.link(wheel, wheels / wheel.name) if _same_fs(wheel, wheels) else shutil.copy(wheel, wheels)
    return project


def _header(code: str, key: str) -> tuple[str, ...]:
    """``# requires: featurekit>=1.1, labelkit`` at the top of a pkgsrc source -> its wheel's Requires-Dist
    (``# console_scripts: serve-model = servekit:main`` -> its console scripts)."""
    for line in code.splitlines()[:5]:
        if line.startswith(f"# {key}:"):
            return tuple(x.strip() for x in line.split(":", 1)[1].split(",") if x.strip())
    return ()


def _same_fs(a: Path, b: Path) -> bool:
    return a.stat().st_dev == b.stat().st_dev


def expected(project: Path) -> dict[str, object]:
    return tomllib.loads((project / "expect.toml").read_text()) if (project / "expect.toml").is_file() else {}


def run_filter(backend) -> dict[str, str]:
    """Docker API filters for the objects of ``backend``'s own run (never the engine's other runs)."""
    from reprocheck.backend.base import RUN_LABEL

    return {"label": f"{RUN_LABEL}={backend.run_id}"}


def project_filter(project: Path) -> dict[str, str]:
    """Docker API filters for the objects of the project at ``project`` (as `reprocheck clean PROJECT` names it)."""
    from reprocheck.backend.base import PROJECT_LABEL, project_id
    from reprocheck.confine import project_root_for

    return {"label": f"{PROJECT_LABEL}={project_id(project_root_for(project))}"}


def project_objects(backend, project: Path) -> tuple[list[str], list[str], list[str]]:
    """(containers, images, networks) of one project on the engine."""
    api = backend.client.api
    filters = project_filter(project)
    return (
        [c["Id"] for c in api.containers(all=True, filters=filters)],
        [i["Id"] for i in api.images(filters=filters)],
        [n["Id"] for n in api.networks(filters=filters)],
    )


def remove_project(backend, project: Path) -> None:
    """Remove one project's objects (a test's own), as `reprocheck clean PROJECT` would."""
    from reprocheck.backend.base import project_id
    from reprocheck.confine import project_root_for

    backend.cleanup(project=project_id(project_root_for(project)))


def journal_leftovers(project: Path) -> dict[str, list[str]]:
    """What the journals of the project's runs (finished or killed) still list as created and not removed."""
    from reprocheck.backend.base import project_id
    from reprocheck.backend.journal import read_runs
    from reprocheck.confine import project_root_for

    pid = project_id(project_root_for(project))
    out: dict[str, list[str]] = {}
    for run in read_runs():
        if run.project == pid:
            for kind, ids in run.outstanding.items():
                out.setdefault(kind, []).extend(ids)
    return {k: v for k, v in out.items() if v}


def assert_nothing_left(backend, project: Path, images: bool = True, wait: float = 30.0) -> None:
    """The project's runs left no container, network (and, unless ``images`` is False, no image: the smoke
    cache is kept on purpose) on the engine, and nothing their journals list still exists (the engine may
    take ``wait`` seconds to tear a cancelled build step down). Other runs' objects are not looked at."""
    import time

    api = backend.client.api
    deadline = time.monotonic() + wait
    while True:
        containers, kept_images, networks = project_objects(backend, project)
        left = journal_leftovers(project)
        alive = [c for c in left.get("container", []) if api.containers(all=True, filters={"id": c})]
        alive += [i for i in left.get("image", []) if backend.inspect(i) is not None]
        alive += [n for n in left.get("network", []) if api.networks(ids=[n])]
        if (not alive and not containers and not networks) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert containers == [] and networks == [], (containers, networks)
    assert alive == [], alive
    if images:
        assert kept_images == [], kept_images
