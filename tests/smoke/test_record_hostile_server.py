"""`record` in serve mode talks to the server on the host with the same distrust as smoke: a redirect is
refused (naming where it pointed, nothing fetched), a broken answer is an error quoting it, and ready-log runs
in RE2."""

from __future__ import annotations

import socket
import sys
import textwrap
from pathlib import Path

import pytest

from reprocheck.smoke.record import RecordError, serve_on_host
from reprocheck.smoke.spec import load_spec
from tests.support.raw_server import raw_server

SERVER = textwrap.dedent(
    """
    import socket, sys, threading
    mode, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    def one(c):
        with c:
            head = b""
            while b"\\r\\n\\r\\n" not in head:
                chunk = c.recv(65536)
                if not chunk:
                    return
                head += chunk
            if head.startswith(b"GET /health ") and mode != "redirect-ready":
                c.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")
            elif mode == "bad-status":
                c.sendall(b"\\x1b[2JNOT HTTP\\r\\n\\r\\n")
            else:
                where = target.encode()
                c.sendall(b"HTTP/1.1 302 Found\\r\\nLocation: " + where + b"\\r\\nContent-Length: 0\\r\\n\\r\\n")
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen(8)
    print("listening", flush=True)
    while True:
        c, _ = s.accept(); threading.Thread(target=one, args=(c,), daemon=True).start()
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("mode", "readiness", "says"),
    [
        ("redirect-ready", 'ready-http = "/health"', "readiness check GET /health answered HTTP 302 redirecting to"),
        ("redirect-request", 'ready-log = "^listen(ing)+$"', "POST /predict answered HTTP 302 redirecting to"),
        ("bad-status", 'ready-http = "/health"', 'the status line is not HTTP/1.x; it sent "\\x1b[2JNOT HTTP'),
    ],
)
def test_record_refuses_what_smoke_refuses(tmp_path: Path, mode: str, readiness: str, says: str):
    def secret(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecret")

    port = _free_port()
    (tmp_path / "server.py").write_text(SERVER)
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    with raw_server(secret) as target:
        location = f"http://127.0.0.1:{target.port}/"
        command = [sys.executable, "server.py", mode, str(port), location]
        (tmp_path / "pyproject.toml").write_text(
            f'[tool.reprocheck.smoke]\ncommand = {command!r}\ngolden = "golden.json"\ntimeout = 10\n\n'
            f'[tool.reprocheck.smoke.serve]\nport = {port}\npath = "/predict"\nready-timeout = 20\n{readiness}\n'
        )
        spec = load_spec(None, tmp_path)
        with pytest.raises(RecordError) as exc:
            serve_on_host(spec, {})
        assert target.hits == 0
    assert says in exc.value.message, exc.value.message
    assert "secret" not in exc.value.message and "\x1b" not in exc.value.message
