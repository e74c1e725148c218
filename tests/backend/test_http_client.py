"""The serve-mode client against raw servers on 127.0.0.1 built the way the attacks work: a redirect to a
host service, a trickle, a 70 KiB header line, too many headers, a status line that is not HTTP, resets."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from reprocheck.backend.http import Call, ServerMisbehaved, http_ready, send
from reprocheck.backend.http_client import (
    ExchangeTimeout,
    NoAnswer,
    ProtocolViolation,
    Unreachable,
    exchange,
    show,
)
from tests.support.raw_server import raw_server, reset

SECRET = b"host-only-secret-5d1c"


def _answer(data: bytes):
    def handler(conn: socket.socket) -> None:
        conn.sendall(data)

    return handler


def test_a_redirect_is_returned_as_it_is_and_its_target_never_contacted():
    with raw_server(_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 21\r\n\r\n" + SECRET)) as target:
        location = f"http://127.0.0.1:{target.port}/secret".encode()
        redirect = b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n"
        with raw_server(_answer(redirect)) as server:
            reply = send(server.port, Call(path="/predict"), timeout=5)
            assert reply.status == 302 and reply.body == b""
            assert reply.location == f'"{location.decode()}"'
            with pytest.raises(ServerMisbehaved, match=r"readiness check GET /health answered HTTP 302 redirecting"):
                http_ready(server.port, "/health")
        assert target.hits == 0


def test_one_deadline_cuts_a_server_that_trickles_a_byte_at_a_time():
    def trickle(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(600):
            conn.sendall(b"x")
            time.sleep(0.1)

    with raw_server(trickle) as server:
        started = time.monotonic()
        reply = send(server.port, Call(method="GET"), timeout=1.5)
        elapsed = time.monotonic() - started
    assert reply.timed_out and reply.status is None and "timeout = 1.5 s" in (reply.error or "")
    assert elapsed < 15  # not the minute the trickle lasts


def test_a_trickled_head_is_cut_too():
    def trickle(conn: socket.socket) -> None:
        for b in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"y" * 600:
            conn.sendall(bytes([b]))
            time.sleep(0.1)

    with raw_server(trickle) as server, pytest.raises(ExchangeTimeout):
        exchange("127.0.0.1", server.port, "GET", "/", {}, None, 1.0)


@pytest.mark.parametrize(
    ("answer", "what"),
    [
        (b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70 * 1024 + b"\r\n\r\n", "a header line is longer than 64 KiB"),
        (b"HTTP/1.1 200 OK" + b"b" * 70 * 1024 + b"\r\n\r\n", "the status line is longer than 64 KiB"),
        (b"HTTP/1.1 200 OK\r\n" + b"X-H: v\r\n" * 101 + b"\r\n", "more than 100 header fields"),
        (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", "the status line is not HTTP/1.x"),
        (b"HTTP/1.1 2000 OK\r\n\r\n", "the status line is not HTTP/1.x"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "a header line is not `name: value`"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "in the middle of the body (3 of 10 bytes)"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "the Content-Length is not one number"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "a chunk size is not a hexadecimal"),
        (b"HTTP/1.1 200 OK\r\nX-A: 1", "the connection closed in the middle of a header line"),
    ],
)
def test_protocol_errors_are_violations_quoting_what_was_received(answer: bytes, what: str):
    with raw_server(_answer(answer)) as server:
        reply = send(server.port, Call(), timeout=5)
    assert reply.status is None and reply.misbehaved is not None
    assert what in reply.misbehaved
    assert "it sent " + show(answer)[:40] in reply.misbehaved


def test_a_reset_in_the_middle_is_a_violation_and_before_any_byte_no_answer():
    def partial(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\npartial")
        time.sleep(0.2)
        reset(conn)

    with raw_server(partial) as server, pytest.raises(ProtocolViolation) as exc:
        exchange("127.0.0.1", server.port, "GET", "/", {}, None, 5)
    assert not isinstance(exc.value, NoAnswer) and b"partial" in exc.value.received
    with raw_server(reset) as server, pytest.raises(NoAnswer):
        exchange("127.0.0.1", server.port, "GET", "/", {}, None, 5)
    with raw_server(reset) as server:
        assert http_ready(server.port, "/health") is False  # a server still starting: not yet


def test_control_characters_from_the_server_are_escaped():
    with raw_server(_answer(b"\x1b]52;c;SGVsbG8=\x07 HTTP/1.1\r\n\r\n")) as server:
        reply = send(server.port, Call(), timeout=5)
    assert reply.misbehaved is not None and "\x1b" not in reply.misbehaved and "\x07" not in reply.misbehaved
    assert "\\x1b]52;c;SGVsbG8=\\x07" in reply.misbehaved


def test_well_formed_answers_content_length_chunked_close_and_the_limit(tmp_path: Path):
    body = tmp_path / "request.json"
    body.write_bytes(b'{"rows": [1]}')
    answers = {
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello": b"hello",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nhel\r\n2\r\nlo\r\n0\r\nT: 1\r\n\r\n": b"hello",
        b"HTTP/1.0 200 OK\r\n\r\nhello": b"hello",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello": b"hello",
        b"HTTP/1.1 200 OK\r\nX-F: a\r\n b\r\nContent-Length: 2\r\n\r\nok": b"ok",
    }
    for raw, expected in answers.items():
        with raw_server(_answer(raw)) as server:
            request = Call(body=body, headers={"Content-Type": "application/json"})
            reply = send(server.port, request, timeout=5)
            assert (reply.status, reply.body, reply.misbehaved) == (200, expected, None), raw
            head = server.requests[0]
            assert head.startswith(b"POST / HTTP/1.1\r\n") and b"Content-Type: application/json\r\n" in head
            assert b"Content-Length: 13\r\n" in head
    endless = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + (b"400\r\n" + b"z" * 1024 + b"\r\n") * 64
    with raw_server(_answer(endless)) as server:
        reply = send(server.port, Call(), timeout=5, limit=5000)
    assert reply.status == 200 and len(reply.body or b"") == 5001  # past the limit: the caller says so


def test_nothing_listening_is_unreachable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(Unreachable):
        exchange("127.0.0.1", port, "GET", "/", {}, None, 2)
    assert send(port, Call(), timeout=2).error is not None
