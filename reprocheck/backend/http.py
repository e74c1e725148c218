"""The one request of a serve-mode smoke test, to 127.0.0.1 only (the container's published port, or the
server ``reprocheck record`` starts on the host), and the plain data a served run returns."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


class RequestSpec(Protocol):
    """What ``send_request`` needs: a ``smoke.spec.ServeSpec`` or a ``ServeRequest``."""

    @property
    def path(self) -> str: ...

    @property
    def method(self) -> str: ...

    @property
    def body(self) -> Path | None: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class ServeRequest:
    """A server to start and the request to send it, as the backend needs them (plain data)."""

    port: int
    path: str = "/"
    method: str = "POST"
    body: Path | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    ready_http: str | None = None
    ready_log: str | None = None
    ready_timeout: float = 60.0

    @property
    def readiness(self) -> str:
        if self.ready_http:
            return f"HTTP GET {self.ready_http} answering 2xx"
        if self.ready_log:
            return f"a log line matching `{self.ready_log}`"
        return f"port {self.port} listening"


@dataclass(frozen=True)
class ServeResult:
    ready: bool
    exited: bool
    exit_code: int | None
    oom_killed: bool
    stdout: bytes
    stderr: bytes
    status: int | None = None
    body: bytes | None = None
    error: str | None = None  # the request failed (connection, timeout)
    request_timed_out: bool = False
    seconds: float = 0.0
    exceeded: str | None = None  # the response body went past the output limit


def send_request(
    port: int, serve: RequestSpec, timeout: float, host: str = "127.0.0.1", limit: int | None = None
) -> tuple[int | None, bytes | None, str | None, bool]:
    """(status, body, error, timed out) of the one request (to 127.0.0.1 unless REPROCHECK_SERVE_HOST says).
    With ``limit``, at most limit + 1 bytes of the body are read."""
    data = serve.body.read_bytes() if serve.body is not None else None
    request = urllib.request.Request(
        f"http://{host}:{port}{serve.path}", data=data, method=serve.method, headers=dict(serve.headers)
    )
    amount = -1 if limit is None else limit + 1
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), response.read(amount), None, False
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read(amount), None, False
    except TimeoutError:
        return None, None, f"no answer within timeout = {timeout:g} s", True
    except (urllib.error.URLError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            return None, None, f"no answer within timeout = {timeout:g} s", True
        return None, None, str(reason), False


def http_ready(port: int, path: str) -> bool:
    """A GET on ``path`` answers 2xx."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as response:
            return 200 <= int(response.status) < 300
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_port_free(port: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while port_open(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
