"""Serve mode against servers built the way the attacks work, in the real sandbox on the real engine: a
redirect (readiness or request) to a service on the host's 127.0.0.1, a trickle, a 70 KiB header line, a
ready-log pattern that backtracks for ever. Each must end as the finding it is, within its time limits, and
nothing the host service holds may reach a report."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.support.engine import assert_nothing_left, engine_or_skip
from tests.support.raw_server import raw_server

pytestmark = [pytest.mark.engine, pytest.mark.xdist_group("hostile_server")]

SECRET = "host-secret-7f3a9c"

# One stdlib server, its behaviour chosen by argv[1]; it listens on 0.0.0.0:8080 and answers raw bytes.
HOSTILE = r"""
import socket, sys, threading, time
mode = sys.argv[1]
target = sys.argv[2] if len(sys.argv) > 2 else ""

def answer(conn, head):
    first = head.split(b"\r\n", 1)[0]
    health = first.startswith(b"GET /health ")
    if mode == "redirect-ready" and health or mode == "redirect-request" and not health:
        code = b"302 Found" if health else b"303 See Other"
        conn.sendall(b"HTTP/1.1 " + code + b"\r\nLocation: " + target.encode() + b"\r\nContent-Length: 0\r\n\r\n")
    elif health:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    elif mode == "trickle":
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
        while True:
            conn.sendall(b"{")
            time.sleep(0.5)
    elif mode == "big-header":
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Big: " + b"A" * (70 * 1024) + b"\r\nContent-Length: 2\r\n\r\n{}")

def one(conn):
    with conn:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(65536)
            if not chunk:
                return
            head += chunk
        try:
            answer(conn, head)
        except OSError:
            pass

if mode == "redos":
    while True:  # never the ready line: a backtracking engine would stall on each of these
        print("a" * 48 + "!", flush=True)
        time.sleep(0.2)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080))
s.listen(16)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=one, args=(c,), daemon=True).start()
"""

DOCKERFILE = """FROM reprocheck-fixture/python:3.11-bookworm
WORKDIR /app
COPY hostile.py ./
USER 65534
CMD ["python3", "hostile.py", "plain"]
"""


@pytest.fixture(scope="module")
def backend():
    return engine_or_skip()


@pytest.fixture(scope="module")
def secret_server():
    """The host service a redirect points at: it must never be contacted."""

    def handler(conn: socket.socket) -> None:
        body = SECRET.encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    with raw_server(handler) as server:
        yield server


def _project(tmp_path: Path, command: list[str], serve: str, timeout: int = 30) -> Path:
    project = tmp_path / "hostile"
    project.mkdir()
    (project / "hostile.py").write_text(HOSTILE)
    (project / "Dockerfile").write_text(DOCKERFILE)
    (project / "golden.json").write_text("{}")
    # the .dockerignore that hung smoke before the build as a backtracking regex (docker builds it at once)
    (project / ".dockerignore").write_text("**/" * 12 + "x\n")
    deep = project.joinpath(*["a"] * 30)
    deep.mkdir(parents=True)
    (deep / "b").write_text("")
    (project / "pyproject.toml").write_text(
        '[tool.reprocheck]\nseverity = { RC102 = "info" }\n\n'
        f'[tool.reprocheck.smoke]\ncommand = {json.dumps(command)}\ngolden = "golden.json"\ntimeout = {timeout}\n'
        f'\n[tool.reprocheck.smoke.serve]\nport = 8080\nmethod = "GET"\npath = "/predict"\n{serve}'
    )
    return project


def _smoke(project: Path) -> tuple[dict[str, Any], str]:
    reports = project / "reports"
    reports.mkdir(exist_ok=True)
    args = ["smoke", "--progress", "quiet", "-f", "json", "-o", str(reports / "r.json")]
    for fmt in ("text", "markdown", "sarif", "junit", "github"):
        args += ["-f", fmt, "-o", str(reports / f"r.{fmt}")]
    r = run_cli(*args, cwd=project)
    assert r.code == 1, r.out + r.err
    everything = r.out + r.err + "".join(p.read_text() for p in reports.iterdir())
    return json.loads((reports / "r.json").read_text()), everything


@pytest.mark.parametrize("where", ["redirect-ready", "redirect-request"])
def test_a_redirect_to_a_host_service_is_a_finding_and_never_followed(
    backend, tmp_path: Path, secret_server, where: str
):
    target = f"http://127.0.0.1:{secret_server.port}/latest/meta-data/"
    serve = 'ready-http = "/health"\nready-timeout = 60\n'
    project = _project(tmp_path, ["python3", "hostile.py", where, target], serve)
    report, everything = _smoke(project)
    (finding,) = report["findings"]
    assert finding["rule"] == "RC850", finding
    assert "redirecting to" in finding["message"] and target in finding["message"]
    assert ("readiness check GET /health" in finding["message"]) is (where == "redirect-ready")
    assert SECRET not in everything
    assert secret_server.hits == 0
    assert_nothing_left(backend, project, images=False)


def test_a_server_that_trickles_is_cut_at_the_timeout(backend, tmp_path: Path):
    project = _project(tmp_path, ["python3", "hostile.py", "trickle"], 'ready-http = "/health"\n', timeout=3)
    started = time.monotonic()
    report, _ = _smoke(project)
    (finding,) = report["findings"]
    assert finding["rule"] == "RC803" and "no complete answer within timeout = 3 s" in finding["message"], finding
    assert time.monotonic() - started < 300  # the trickle would go on for days: 1,000,000 bytes at 2 a second
    assert_nothing_left(backend, project, images=False)


def test_a_70_kib_header_line_is_a_finding_quoting_it(backend, tmp_path: Path):
    project = _project(tmp_path, ["python3", "hostile.py", "big-header"], 'ready-http = "/health"\n')
    report, everything = _smoke(project)
    (finding,) = report["findings"]
    assert finding["rule"] == "RC850" and "a header line is longer than 64 KiB" in finding["message"], finding
    assert 'it sent "HTTP/1.1 200 OK\\r\\nX-Big: AAAA' in finding["message"]
    assert "internal error" not in everything
    assert_nothing_left(backend, project, images=False)


def test_a_backtracking_ready_log_pattern_cannot_outlast_ready_timeout(backend, tmp_path: Path):
    project = _project(tmp_path, ["python3", "hostile.py", "redos"], 'ready-log = "^(a+)+$"\nready-timeout = 5\n')
    started = time.monotonic()
    report, _ = _smoke(project)
    (finding,) = report["findings"]
    assert finding["rule"] == "RC806" and "ready-timeout = 5 s" in finding["message"], finding
    assert time.monotonic() - started < 300
    assert_nothing_left(backend, project, images=False)
