"""Test support for the Docker side: the engine, the base image, fixtures staged with their wheels."""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import shutil
import subprocess
import sys
import tomllib
import uuid
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.wheels import make_wheel

ROOT = Path(__file__).resolve().parents[2]
BASE_IMAGE = "reprocheck-fixture/python:3.11-bookworm"
WHEELHOUSE = Path(os.environ.get("REPROCHECK_WHEELHOUSE", Path.home() / ".cache" / "reprocheck-tests" / "wheels"))


REQUIRE_ENGINE = "REPROCHECK_REQUIRE_ENGINE"
RUN_LABEL = "io.reprocheck.run"
# This test session's id: the label of every image the session fixtures build (each xdist worker has its own)
SESSION_RUN = f"tests-{uuid.uuid4().hex[:12]}"
# The probe's outcome, once per test process: (the shared backend, or None; why there is none)
_probe: tuple[Any, str | None] | None = None
_opened: list[Any] = []  # the backends handed to tests, closed at the end of the session


def _close(backend: Any) -> None:
    """Close the SDK client: a socket left open is an unraisable ResourceWarning, an error under
    ``filterwarnings = error``."""
    with contextlib.suppress(Exception):
        backend.client.close()


def new_backend(**options: Any):  # -> DockerBackend
    """A backend opened where reprocheck opens its own (``reprocheck.runtime.engine.open_backend``): the tests
    choose no client of their own. Everything it creates carries its run's labels (``run_id``, else a new
    one) and, given ``project``, the project's."""
    from reprocheck.runtime.engine import open_backend

    return open_backend(**options)


def engine_unavailable() -> str | None:
    """Why engine tests cannot run here (no engine, no base image), or None. Probed once per process."""
    global _probe
    if _probe is None:
        from reprocheck.errors import EngineUnavailable

        backend = new_backend()
        host = backend.host
        answered = True
        with warnings.catch_warnings():
            # the SDK leaves the socket of a refused connection to the garbage collector (the exception's
            # context holds it): drop both here, where the ResourceWarning is expected, not in the next test
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                backend.ping()
            except EngineUnavailable:
                answered = False
                _close(backend)
            gc.collect()
        if not answered:
            _probe = (None, f"no Docker engine answers at {host} (start one or set DOCKER_HOST)")
        else:
            if backend.inspect(BASE_IMAGE) is None:
                _close(backend)
                _probe = (None, f"base image {BASE_IMAGE} is missing: run ci/base_images.sh")
            else:
                _probe = (backend, None)
    return _probe[1]


def skip_without_engine() -> None:
    """Skip (or, with REPROCHECK_REQUIRE_ENGINE set, as CI does, fail) when engine tests cannot run."""
    reason = engine_unavailable()
    if reason is not None:
        if os.environ.get(REQUIRE_ENGINE):
            pytest.fail(f"{REQUIRE_ENGINE} is set and {reason}", pytrace=False)
        pytest.skip(reason)


def engine_or_skip():  # -> DockerBackend
    """A backend of its own (its own run id) on the real engine; skipped when none runs, unless
    REPROCHECK_REQUIRE_ENGINE is set (CI sets it). Closed at the end of the session."""
    skip_without_engine()
    backend = new_backend()
    _opened.append(backend)
    return backend


def close_engine() -> None:
    """End of the session: close the clients the tests opened."""
    global _probe
    for backend in [*_opened, *([_probe[0]] if _probe is not None and _probe[0] is not None else [])]:
        with contextlib.suppress(Exception):
            backend.close()
        _close(backend)
    _opened.clear()
    _probe = None


def download_locked_wheels(requirements: Path) -> None:
    """Fill the wheelhouse with the lock's wheels (pip download --require-hashes): hermetic builds later."""
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    import hashlib

    marker = WHEELHOUSE / f".done-{hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]}"
    if marker.exists():
        return
    # test workers (pytest-xdist) and concurrent runs share the wheelhouse: one downloads, the others wait
    with (WHEELHOUSE / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists():
            _download(requirements)
            marker.touch()


def _download(requirements: Path) -> None:
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
            "--platform",  # lightgbm 4.x ships only manylinux_2_28 wheels (the fixture base has glibc 2.36)
            "manylinux_2_28_x86_64",
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
    # requirements.txt, and the pinned files of later install steps (requirements-*.txt)
    locks = [p for p in sorted(project.glob("requirements*.txt")) if "--hash" in p.read_text()]
    if locks:
        for requirements in locks:
            download_locked_wheels(requirements)
        names = {
            line.split("==")[0].strip().replace("-", "_").lower()
            for requirements in locks
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


class SessionImages:
    """Fixture projects built once per test session and shared by the tests that only need the image; built by
    a backend whose run id is the session's, and only those images removed at the end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.built: dict[tuple[str, str], str] = {}
        self._backend: Any = None

    def get(self, name: str, group: str = "smoke") -> str:
        key = (group, name)
        if key not in self.built:
            from reprocheck.backend.base import BuildRequest

            skip_without_engine()
            if self._backend is None:
                self._backend = new_backend(run_id=SESSION_RUN)
            project = stage(name, self.root / group)
            tag = f"reprocheck-test/{group}-{name}:{SESSION_RUN}"
            result = self._backend.build(BuildRequest(project, project / "Dockerfile", tag), lambda _line: None)
            assert result.ok, f"{group}/{name} does not build: {result.error}"
            self.built[key] = tag
        return self.built[key]

    def remove(self) -> None:
        if self._backend is None:
            return
        for info in self._backend.find_images({RUN_LABEL: SESSION_RUN}):
            self._backend.remove_image(info.id)
        self._backend.close()
        _close(self._backend)
        self._backend = None
        self.built.clear()


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


def fixture_images(backend: Any, fixtures: Iterable[str]) -> list[dict[str, Any]]:
    """The engine's images of these fixtures (reprocheck/<fixture>:<digest>, labelled by reprocheck)."""
    names = set(fixtures)
    images = backend.client.api.images(filters={"label": "io.reprocheck.managed"})
    return [i for i in images if any(t.split(":")[0].removeprefix("reprocheck/") in names for t in i["RepoTags"] or ())]


@contextlib.contextmanager
def removing_new_fixture_images(backend: Any, fixtures: Iterable[str]) -> Iterator[None]:
    """A test module's scope: the images of its fixtures that it built are removed at its end, those that were
    there before (another module's, another run's) are left."""
    names = tuple(fixtures)
    before = {i["Id"] for i in fixture_images(backend, names)}
    yield
    for image in fixture_images(backend, names):
        if image["Id"] not in before:
            for tag in image["RepoTags"]:
                backend.remove_image(tag)


def fixture_containers(backend: Any, name: str) -> list[object]:
    """Containers, running or not, of one fixture's image: a run must leave none."""
    return [
        c
        for c in backend.client.api.containers(all=True, filters={"label": "io.reprocheck.managed"})
        if str(c.get("Image", "")).startswith(f"reprocheck/{name}:")
    ]
