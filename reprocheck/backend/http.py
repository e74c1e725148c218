"""The requests of a serve-mode smoke test, to 127.0.0.1 only (the container's published port, or the server
``reprocheck record`` starts on the host): what is sent (``Call``), what came back (``Reply``)."""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


class RequestSpec(Protocol):
    """What ``send`` needs: a ``smoke.spec.ServeSpec`` or a ``Call``."""

    @property
    def path(self) -> str: ...

    @property
    def method(self) -> str: ...

    @property
    def body(self) -> Path | None: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class Call:
    """One request to send a server: the backend's plain form of a smoke case's request."""

    path: str = "/"
    method: str = "POST"
    body: Path | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """What came of the one request: a status and body, or why not."""

    status: int | None = None
    body: bytes | None = None
    error: str | None = None  # nothing answered (refused), or the deadline passed
    timed_out: bool = False
    misbehaved: str | None = None  # the answer broke HTTP; the message quotes what the server sent
    location: str | None = None  # a 3xx's Location, shown escaped (never fetched)
    exceeded: bool = False  # the body went past the output limit: ``body`` holds the limit's worth


class ServerMisbehaved(Exception):
    """The server broke HTTP, or redirected the readiness check: a finding, never followed."""


def send(port: int, serve: RequestSpec, timeout: float, host: str = "127.0.0.1", limit: int | None = None) -> Reply:
    """The one request (to 127.0.0.1 unless REPROCHECK_SERVE_HOST says): connect, request, status, headers
    and body all within ``timeout`` seconds. Redirects are not followed. With ``limit``, at most limit + 1
    bytes of the body are read."""
    from reprocheck.backend.http_client import (
        ExchangeTimeout,
        NoAnswer,
        ProtocolViolation,
        Unreachable,
        exchange,
        show,
    )

    data = serve.body.read_bytes() if serve.body is not None else None
    try:
        answer = exchange(host, port, serve.method, serve.path, serve.headers, data, timeout, limit)
    except ExchangeTimeout as exc:
        return Reply(error=f"no complete answer within timeout = {timeout:g} s ({exc})", timed_out=True)
    except Unreachable as exc:
        return Reply(error=str(exc))
    except NoAnswer as exc:  # closed before a byte: nothing answered (e.g. a proxy in front of no listener)
        return Reply(error=str(exc))
    except ProtocolViolation as exc:
        return Reply(misbehaved=str(exc))
    location = answer.header("location")
    shown = show(location.encode("latin-1", "replace")) if location is not None else None
    return Reply(answer.status, answer.body, location=shown)


def send_request(
    port: int, serve: RequestSpec, timeout: float, host: str = "127.0.0.1", limit: int | None = None
) -> tuple[int | None, bytes | None, str | None, bool]:
    """(status, body, error, timed out) of ``send``: a broken answer is an error with what was received."""
    reply = send(port, serve, timeout, host, limit)
    return reply.status, reply.body, reply.error or reply.misbehaved, reply.timed_out


def redirect_message(what: str, status: int, location: str | None) -> str:
    return (
        f"{what} answered HTTP {status} redirecting to {location or '(no Location)'}: reprocheck follows no "
        "redirect (the server runs sandboxed; its answer must come from itself)"
    )


def http_ready(port: int, path: str, host: str = "127.0.0.1", timeout: float = 1.0) -> bool:
    """A GET on ``path`` answers 2xx (within ``timeout``). Not yet: False. A redirect, or an answer that
    breaks HTTP, raises ``ServerMisbehaved``: waiting longer would not change it."""
    from reprocheck.backend.http_client import ExchangeTimeout, NoAnswer, ProtocolViolation, Unreachable, exchange

    try:
        answer = exchange(host, port, "GET", path, {}, None, timeout, 64 * 1024)
    except (ExchangeTimeout, Unreachable, NoAnswer):
        return False
    except ProtocolViolation as exc:
        raise ServerMisbehaved(f"the readiness check GET {path}: {exc}") from None
    if 300 <= answer.status < 400:
        from reprocheck.backend.http_client import show

        location = answer.header("location")
        shown = show(location.encode("latin-1", "replace")) if location is not None else None
        raise ServerMisbehaved(redirect_message(f"the readiness check GET {path}", answer.status, shown))
    return 200 <= answer.status < 300


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
