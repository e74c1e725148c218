"""Issue 26, on a team's real service: Flask behind gunicorn in an image whose port comes from `ENV PORT`
(fixtures/smoke/gunicorn-iris), taken through the CLI as a new user takes it: `init` proposes serve mode
against the image's own server (no `command` replacing its CMD), `record` records on this machine, `check` ends
green; the same service bound to 127.0.0.1 inside the container ends red, with gunicorn's own words and the
address it listens on. Real engine; the wheels are staged hermetically as the fixtures' are (gunicorn, Flask
and numpy come from the package index on the host, cached; pip in the image uses --no-index)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.support.engine import assert_nothing_left, engine_or_skip, remove_project, stage
from tests.support.wheels import locked_venv

pytestmark = pytest.mark.engine

CMD = 'CMD ["sh", "-c", "gunicorn -b 0.0.0.0:$PORT app:app"]'


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The fixture staged with its wheels, and a virtual environment of its lock on this machine (what the
    team's developers run: `gunicorn` on PATH for `record`)."""
    engine_or_skip()
    if sys.version_info[:2] != (3, 11):
        pytest.skip("the lock holds the wheels for CPython 3.11")
    root = tmp_path_factory.mktemp("gunicorn")
    project = stage("gunicorn-iris", root)
    return project, locked_venv(project, root / "venv")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _copy(service: tuple[Path, Path], dest: Path, cmd: str = CMD) -> tuple[Path, int]:
    """The service under ``dest``, on a port of its own (the machine is shared: 8000 may be taken), with
    ``cmd`` as its CMD."""
    import shutil

    project = dest / "service"
    shutil.copytree(service[0], project)
    port = _free_port()
    text = (project / "Dockerfile").read_text()
    assert CMD in text and "ENV PORT=8000\nEXPOSE 8000\n" in text
    (project / "Dockerfile").write_text(text.replace("8000", str(port)).replace(CMD, cmd))
    return project, port


def _cli(bindir: Path, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        [sys.executable, "-m", "reprocheck", *args], cwd=project, env=env, capture_output=True, text=True, timeout=900
    )


def _init_as_a_user(bindir: Path, project: Path, port: int) -> dict[str, Any]:
    """`reprocheck init`, then what its comments ask of the user: the request body and its content type."""
    r = _cli(bindir, project, "init", ".")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"image's own server (gunicorn, port {port} from" in r.stdout and f"ENV PORT={port}" in r.stdout, r.stdout
    config = project / "pyproject.toml"
    text = config.read_text()
    assert '# body = "request.json"' in text and "# headers = " in text, text
    text = text.replace('# body = "request.json"', 'body = "request.json"').replace("# headers = ", "headers = ")
    config.write_text(text)
    smoke: dict[str, Any] = tomllib.loads(text)["tool"]["reprocheck"]["smoke"]
    assert "command" not in smoke  # the image's CMD is what runs in the container, not a replacement
    assert smoke["serve"]["port"] == port and (smoke["serve"]["method"], smoke["serve"]["path"]) == ("POST", "/predict")
    return smoke


def test_init_record_check_on_a_gunicorn_image_ends_green(service: tuple[Path, Path], tmp_path: Path):
    project, port = _copy(service, tmp_path)
    backend = engine_or_skip()
    try:
        smoke = _init_as_a_user(service[1], project, port)
        assert smoke["serve"]["record-command"] == ["sh", "-c", f"gunicorn -b 0.0.0.0:{port} app:app"]
        recorded = _cli(service[1], project, "record", ".")
        assert recorded.returncode == 0, recorded.stdout + recorded.stderr
        golden = json.loads((project / "golden.json").read_text())
        assert golden["predictions"] == ["setosa", "versicolor", "virginica"]
        checked = _cli(service[1], project, "check", "--progress", "plain", ".")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert re.search(r"^verdict: passed", checked.stdout, re.M), checked.stdout
        assert re.search(r"^smoke\s+passed", checked.stdout, re.M), checked.stdout
        assert "replaces the image's" not in checked.stdout  # the image's own gunicorn answered, not a stand-in
    finally:
        remove_project(backend, project)
    assert_nothing_left(backend, project)


def test_the_same_service_bound_to_127_0_0_1_in_the_container_ends_red_with_its_own_words(
    service: tuple[Path, Path], tmp_path: Path
):
    project, port = _copy(service, tmp_path, "CMD gunicorn --bind 127.0.0.1:$PORT app:app")
    backend = engine_or_skip()
    try:
        smoke = _init_as_a_user(service[1], project, port)
        assert smoke["serve"]["record-command"] == ["gunicorn", "--bind", f"127.0.0.1:{port}", "app:app"]
        recorded = _cli(service[1], project, "record", ".")  # on the developer's machine it answers
        assert recorded.returncode == 0, recorded.stdout + recorded.stderr
        checked = _cli(service[1], project, "check", "--format", "json", ".")
        assert checked.returncode == 1, checked.stdout + checked.stderr
        # readiness as init proposes it (the port listening): the engine's port proxy accepts the connection,
        # so the request, not the wait, is what fails; RC806 when the server never answers a readiness request
        red = [f for f in json.loads(checked.stdout)["findings"] if f["rule"] in ("RC806", "RC850")]
        assert len(red) == 1, checked.stdout
        said = f"{red[0]['message']}\n{red[0].get('hint', '')}"
        assert f"[INFO] Listening at: http://127.0.0.1:{port}" in said, said  # gunicorn's own line: the address
    finally:
        remove_project(backend, project)
    assert_nothing_left(backend, project)
