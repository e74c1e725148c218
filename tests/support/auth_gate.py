"""A token-authenticating front for a real local registry, as Docker Hub and most registries are: /v2/
answers 401 with ``WWW-Authenticate: Bearer realm=...`` unless the request carries the token, which the
realm hands out only for the right basic credentials. Requests with the token go through to the registry."""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "gate-token-1"


@contextmanager
def auth_gate(upstream: str, user: str, password: str) -> Iterator[tuple[str, list[str]]]:
    """Yield (``localhost:PORT`` of the gate, the list of paths it saw)."""
    seen: list[str] = []
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, code: int, headers: dict[str, str], body: bytes = b"") -> None:
            self.send_response(code)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _handle(self) -> None:
            seen.append(self.path)
            port = self.server.server_address[1]  # type: ignore[index]
            if self.path.startswith("/token"):
                if self.headers.get("Authorization") != expected:
                    self._send(401, {"Content-Type": "application/json"}, b'{"errors": []}')
                    return
                self._send(200, {"Content-Type": "application/json"}, json.dumps({"token": TOKEN}).encode())
                return
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                challenge = f'Bearer realm="http://127.0.0.1:{port}/token",service="gate"'
                self._send(401, {"WWW-Authenticate": challenge}, b"")
                return
            request = urllib.request.Request(
                f"http://{upstream}{self.path}", method=self.command, headers={"Accept": self.headers.get("Accept", "")}
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as r:
                    body = r.read()
                    keep = {k: v for k, v in r.headers.items() if k in ("Content-Type", "Docker-Content-Digest")}
                    self._send(r.status, keep, body)
            except urllib.error.HTTPError as exc:
                self._send(exc.code, {}, b"")

        do_GET = _handle
        do_HEAD = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"localhost:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
