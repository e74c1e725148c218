"""`record` in serve mode stops the whole server it started on the host, not only the process it spawned: an
image's `CMD ["sh", "-c", "gunicorn -b 0.0.0.0:$PORT app:app"]`, recorded as `init` proposes it, runs the
server under a shell that forks it; signalling the shell alone left the server running, holding the port (the
next record said "port ... is already in use")."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

from reprocheck.smoke.record import serve_on_host
from reprocheck.smoke.spec import load_spec

SERVER = """
import os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        body = b'{"pid": %d}' % os.getpid()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as fh:  # a zombie is gone as a server
        return fh.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_a_server_forked_by_its_shell_is_stopped_with_it(tmp_path: Path):
    port = _free_port()
    (tmp_path / "server.py").write_text(SERVER)
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    # `; true` keeps the shell from exec'ing the server, as dash and bash do for a last simple command
    command = ["sh", "-c", f"{sys.executable} server.py {port}; true"]
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.reprocheck.smoke]\ngolden = "golden.json"\ntimeout = 10\n\n'
        f'[tool.reprocheck.smoke.serve]\nport = {port}\npath = "/predict"\nready-timeout = 20\n'
        f"record-command = {command!r}\n"
    )
    (body,) = serve_on_host(load_spec(None, tmp_path), dict(os.environ))
    pid = int(body.decode().split(":")[1].strip(" }"))
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert not _alive(pid), "the server the shell forked outlived record"
        with socket.socket() as s:  # and its port is free for the next record (as servers bind: reusing TIME_WAIT)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
            s.listen()
    finally:
        if _alive(pid):
            os.kill(pid, 9)  # this test's own server: never left behind
