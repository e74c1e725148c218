"""Serve mode beyond the fixtures' pass/fail: crashes named as crashes, Ctrl-C during the readiness wait,
the sandbox a server runs in, and recording a server's answer on the host."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.support.engine import assert_nothing_left, engine_or_skip, project_filter, stage
from tests.support.interrupt import default_sigint
from tests.support.wheels import locked_venv

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def backend():
    return engine_or_skip()


def _set(project: Path, old: str, new: str) -> None:
    config = project / "pyproject.toml"
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new))


def test_a_server_that_exits_is_a_crash_not_a_readiness_timeout(backend, tmp_path: Path):
    project = stage("iris-serve", tmp_path)
    _set(project, 'command = ["python", "serve.py"]', 'command = ["python", "-c", "import joblib; open(\'gone.pkl\')"]')
    # a readiness timeout far beyond what a loaded machine needs for the build: waiting for it would show
    _set(project, "ready-timeout = 30", "ready-timeout = 900")
    started = time.monotonic()
    r = run_cli("smoke", "--progress", "quiet", "--format", "json", cwd=project)
    assert r.code == 1, r.err
    (finding,) = r.json()["findings"]
    assert finding["rule"] == "RC802" and "exited (code 1) before it was ready" in finding["message"]
    assert "file not found" in finding["message"] and "gone.pkl" in finding["hint"]
    assert time.monotonic() - started < 600  # not the 900 s readiness timeout
    assert_nothing_left(backend, project, images=False)


def test_the_server_runs_sandboxed_and_reachable_only_on_127_0_0_1(backend, tmp_path: Path):
    """What the server sees inside (its user, a read-only root, no route out) is its answer; the smoke
    test passes only if the sandbox holds."""
    project = stage("iris-serve", tmp_path)
    probe = (
        "import json, os, socket, http.server\n"
        "facts = {'uid': os.getuid()}\n"
        "try:\n    open('/app/x', 'w'); facts['write'] = 'ok'\nexcept OSError as e:\n    facts['write'] = e.strerror\n"
        "s = socket.socket(); s.settimeout(3)\n"
        "try:\n    s.connect(('203.0.113.80', 80)); facts['out'] = 'open'\nexcept OSError:\n"
        "    facts['out'] = 'blocked'\n"
        "body = json.dumps(facts).encode()\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        self.send_response(200); self.end_headers(); self.wfile.write(body)\n"
        "    do_POST = do_GET\n"
        "http.server.HTTPServer(('0.0.0.0', 8080), H).serve_forever()\n"
    )
    (project / "probe.py").write_text(probe)
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("COPY serve.py", "COPY probe.py serve.py"))
    _set(project, 'command = ["python", "serve.py"]', 'command = ["python", "probe.py"]')
    (project / "golden" / "response.json").write_text(
        '{"uid": 65534, "write": "Read-only file system", "out": "blocked"}'
    )
    r = run_cli("smoke", "--progress", "quiet", "--format", "json", cwd=project)
    assert r.code == 0, r.out + r.err
    bindings = []

    def watch() -> None:
        for c in backend.client.api.containers(filters=project_filter(project)):
            bindings.extend(backend.client.api.inspect_container(c["Id"])["HostConfig"]["PortBindings"]["8080/tcp"])

    proc = subprocess.Popen(
        [sys.executable, "-m", "reprocheck", "smoke", "--progress", "quiet"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while proc.poll() is None and not bindings and time.monotonic() < deadline:
        watch()
        time.sleep(0.05)
    assert proc.wait(timeout=60) == 0
    assert bindings and all(b["HostIp"] == "127.0.0.1" for b in bindings), bindings


def test_ctrl_c_while_waiting_for_readiness_removes_container_and_network(backend, tmp_path: Path):
    project = stage("server-binds-localhost", tmp_path)
    run_cli("smoke", "--progress", "quiet", cwd=project)  # builds the image once (and fails: never ready)
    _set(project, "ready-timeout = 6", "ready-timeout = 120")
    label = project_filter(project)
    for sig in (signal.SIGINT, signal.SIGTERM):
        proc = subprocess.Popen(
            [sys.executable, "-m", "reprocheck", "smoke", "--progress", "plain"],
            cwd=project,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=default_sigint,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not backend.client.api.containers(filters={**label, "status": "running"}):
            time.sleep(0.2)
        assert backend.client.api.containers(filters={**label, "status": "running"}), "the server never started"
        assert backend.client.api.networks(filters=label), "the run has its own network"
        proc.send_signal(sig)
        assert proc.wait(timeout=60) == 130
        assert_nothing_left(backend, project, images=False, wait=0)


def test_record_starts_the_server_on_the_host(backend, tmp_path: Path):
    """record in serve mode: the server runs in a venv made from the same wheels as the image."""
    project = stage("iris-serve", tmp_path)
    (project / "golden" / "response.json").unlink()
    venv = tmp_path / "venv"
    locked_venv(project, venv)
    env = {"PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "PORT": "18080"}
    _set(project, "port = 8080", "port = 18080")
    rec = run_cli("record", cwd=project, env=env)
    assert rec.code == 0, rec.err
    golden = json.loads((project / "golden" / "response.json").read_text())
    assert golden["predictions"] == [0, 1, 2, 2]
    # the container listens on 8080 (its own PORT default): the spec's port is what is published
    _set(project, "port = 18080", "port = 8080")
    assert run_cli("smoke", "--progress", "quiet", cwd=project).code == 0
