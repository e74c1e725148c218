"""The one request of a serve-mode smoke test, to 127.0.0.1 only (the container's published port, or the
server ``reprocheck record`` starts on the host)."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from reprocheck.smoke.spec import ServeSpec


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


def send_request(
    port: int, serve: ServeSpec, timeout: float, host: str = "127.0.0.1"
) -> tuple[int | None, bytes | None, str | None, bool]:
    """(status, body, error, timed out) of the one request (to 127.0.0.1 unless REPROCHECK_SERVE_HOST says)."""
    data = serve.body.read_bytes() if serve.body is not None else None
    request = urllib.request.Request(
        f"http://{host}:{port}{serve.path}", data=data, method=serve.method, headers=dict(serve.headers)
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), response.read(), None, False
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read(), None, False
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
