"""A remote engine, proven: a second dockerd of our own listens on a TCP port of 127.0.0.1 with its own data
root, and ``reprocheck check`` pointed at it with DOCKER_HOST builds, smoke-tests (command and serve mode,
the published port reached through REPROCHECK_SERVE_HOST) and verifies there. Slow (an empty engine builds
without cache), and it needs root and a dockerd binary; it skips saying which is missing."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.support.engine import BASE_IMAGE, skip_without_engine, stage

pytestmark = [pytest.mark.engine, pytest.mark.slow, pytest.mark.xdist_group("remote_engine")]
START_TIMEOUT = 180  # seconds for a fresh dockerd on a loaded machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(host_port: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host_port}/_ping", timeout=2) as r:
            return bool(r.read() == b"OK")
    except OSError:
        return False


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([shutil.which("ip") or "ip", *args], capture_output=True, text=True, timeout=60)


def _has_link(name: str) -> bool:
    return _ip("link", "show", name).returncode == 0


def _unused_ten_net() -> int:
    """k such that no route of this host is in 10.k.0.0/16 (the second engine's bridge and networks)."""
    used = _ip("-4", "route").stdout + _ip("-4", "addr").stdout
    free = [k for k in range(64, 250) if f"10.{k}." not in used]
    if not free:
        pytest.skip("no free 10.k.0.0/16 range for the second engine's networks")
    return random.choice(free)


@contextlib.contextmanager
def own_bridge(name: str, address: str) -> Iterator[str]:
    """A bridge interface of this test's own: the second engine's default network.

    Not ``--bridge none``: a dockerd started with it deletes the host's docker0, the main engine's bridge."""
    if _ip("link", "add", "name", name, "type", "bridge").returncode != 0:
        pytest.skip(f"cannot create a bridge interface for the second engine: {_ip('link').stderr.strip()}")
    try:
        assert _ip("addr", "add", address, "dev", name).returncode == 0
        assert _ip("link", "set", name, "up").returncode == 0
        yield name
    finally:
        _ip("link", "delete", name)


@contextlib.contextmanager
def second_dockerd() -> Iterator[str]:
    """A dockerd of this test's own on tcp://127.0.0.1:PORT (data root, exec root, pid file in a scratch
    directory; its own bridge and address pool, no iptables: nothing clashes with the main engine); stopped,
    its bridge and directory removed, afterwards."""
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        pytest.skip("no dockerd binary to start a second engine with")
    if os.geteuid() != 0:
        pytest.skip("a second dockerd needs root")
    if shutil.which("ip") is None:
        pytest.skip("no `ip` command to give the second engine a bridge of its own")
    docker0 = _has_link("docker0")
    port = _free_port()
    k = _unused_ten_net()
    root = Path(tempfile.mkdtemp(prefix="rc-dockerd-"))  # short: containerd's socket path must fit 108 bytes
    with own_bridge(f"rcbr{port}", f"10.{k}.255.1/24") as bridge:
        log = (root / "dockerd.log").open("wb")
        proc = subprocess.Popen(
            [
                dockerd,
                "--data-root", str(root / "data"),
                "--exec-root", str(root / "exec"),
                "--pidfile", str(root / "dockerd.pid"),
                "-H", f"tcp://127.0.0.1:{port}",
                "--bridge", bridge,
                "--default-address-pool", f"base=10.{k}.0.0/17,size=24",
                "--iptables=false",
                "--ip-masq=false",
                "--cgroup-parent", f"reprocheck-test-{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not _answers(f"127.0.0.1:{port}"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    why = (root / "dockerd.log").read_text(errors="replace")[-2000:]
                    pytest.fail(f"the second dockerd did not start (exit {proc.poll()}):\n{why}")
                time.sleep(0.5)
            yield f"tcp://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
            shutil.rmtree(root, ignore_errors=True)
            assert _has_link("docker0") == docker0, "the second engine touched the main engine's bridge"


def _docker(host: str, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    docker = os.environ.get("REPROCHECK_DOCKER_CLI") or shutil.which("docker") or "docker"
    env = {**os.environ, "DOCKER_HOST": host}
    return subprocess.run([docker, *args], env=env, capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture(scope="module")
def remote() -> Iterator[str]:
    skip_without_engine()  # the base image comes from the main engine
    with second_dockerd() as host:
        docker = os.environ.get("REPROCHECK_DOCKER_CLI") or shutil.which("docker") or "docker"
        save = subprocess.Popen([docker, "save", BASE_IMAGE], stdout=subprocess.PIPE)
        assert save.stdout is not None
        load = subprocess.run(
            [docker, "load"], stdin=save.stdout, env={**os.environ, "DOCKER_HOST": host}, capture_output=True
        )
        save.stdout.close()
        assert save.wait(timeout=600) == 0 and load.returncode == 0, load.stderr
        yield host


def _stages(report: dict[str, Any]) -> dict[str, str]:
    return {s["name"]: s["status"] for s in report["stages"]}


def test_check_builds_smokes_and_verifies_on_the_engine_docker_host_names(remote: str, tmp_path: Path):
    project = stage("iris-clean", tmp_path)
    r = run_cli("check", "--format", "json", "--progress", "plain", cwd=project, env={"DOCKER_HOST": remote})
    assert r.code == 0, r.err[-3000:]
    report = json.loads(r.out)
    assert _stages(report) == {
        "lint": "passed",
        "build": "passed",
        "smoke": "passed",
        "verify": "passed",
        "rebuild": "skipped",
    }
    assert f"at {remote}" in r.err
    images = _docker(remote, "images", "--format", "{{.Repository}}", "--filter", "label=io.reprocheck.managed")
    assert "reprocheck/iris-clean" in images.stdout.split()  # built there, not on the main engine
    # the remote engine is ours alone: nothing may be left running or stopped on it
    assert _docker(remote, "ps", "-aq").stdout.strip() == ""


def test_serve_mode_reaches_the_published_port_through_reprocheck_serve_host(remote: str, tmp_path: Path):
    project = stage("iris-serve", tmp_path)
    env = {"DOCKER_HOST": remote, "REPROCHECK_SERVE_HOST": "127.0.0.1"}
    r = run_cli("check", "--format", "json", "--progress", "plain", cwd=project, env=env)
    assert r.code == 0, r.err[-3000:]
    report = json.loads(r.out)
    assert _stages(report)["smoke"] == "passed"
    assert "server ready" in r.err
    assert _docker(remote, "ps", "-aq").stdout.strip() == ""
    networks = _docker(remote, "network", "ls", "--format", "{{.Name}}").stdout.split()
    assert sorted(networks) == ["bridge", "host", "none"]  # the server's own network is gone too
