"""What a model server may send back, generated: raw bytes (near-HTTP heads, chunked bodies, lengths, noise,
resets) served on 127.0.0.1 and read by the serve-mode client. Whatever comes, the client returns a response
or one of its documented errors, within its deadline, with the body bounded and nothing raw in a message."""

from __future__ import annotations

import socket
import time

from hypothesis import given
from hypothesis import strategies as st

from reprocheck.backend.http import Call, send
from reprocheck.backend.http_client import ExchangeTimeout, ProtocolViolation, Unreachable, exchange
from tests.fuzz.strategies import FUZZ
from tests.support.raw_server import raw_server, reset

LIMIT = 2048
TIMEOUT = 1.0

STATUS = st.one_of(
    st.sampled_from([b"HTTP/1.1 200 OK", b"HTTP/1.0 302 Found", b"HTTP/1.1 100 Continue", b"HTTP/1.1 204 No"]),
    st.builds(
        lambda v, c, r: b"HTTP/" + v + b" " + c + b" " + r,
        st.sampled_from([b"1.1", b"1.0", b"2", b"1.x"]),
        st.binary(min_size=0, max_size=4),
        st.binary(max_size=12),
    ),
    st.binary(max_size=30),
)
HEADER = st.one_of(
    st.sampled_from(
        [
            b"Content-Length: 5",
            b"Content-Length: 999999",
            b"Content-Length: 5, 6",
            b"Content-Length: -1",
            b"Transfer-Encoding: chunked",
            b"Transfer-Encoding: gzip, chunked",
            b"Transfer-Encoding: gzip",
            b"Location: http://127.0.0.1:1/\x1b]52;c;eA==\x07",
            b" folded",
            b"no-colon",
            b": empty-name",
        ]
    ),
    st.builds(lambda k, v: k + b": " + v, st.from_regex(rb"[A-Za-z-]{1,10}", fullmatch=True), st.binary(max_size=20)),
    st.binary(max_size=40),
)
CHUNKED = st.lists(
    st.one_of(
        st.builds(lambda d: b"%x\r\n%s\r\n" % (len(d), d), st.binary(max_size=50)),
        st.sampled_from([b"0\r\n\r\n", b"zz\r\n", b"fffffffffffffffff\r\n", b"3;ext=1\r\nabc\r\n", b"5\r\nab"]),
    ),
    max_size=6,
).map(b"".join)
ENDING = st.sampled_from(["close", "close", "close", "reset", "hold"])


@st.composite
def responses(draw: st.DrawFn) -> bytes:
    head = draw(STATUS) + b"\r\n" + b"".join(h + b"\r\n" for h in draw(st.lists(HEADER, max_size=8)))
    body = draw(st.one_of(CHUNKED, st.binary(max_size=3000)))
    separator = draw(st.sampled_from([b"\r\n", b"\n", b""]))
    return head + separator + body


@FUZZ
@given(responses(), ENDING, st.sampled_from(["GET", "POST", "HEAD"]))
def test_any_answer_is_a_response_or_a_documented_error_in_time(raw: bytes, ending: str, method: str):
    def handler(conn: socket.socket) -> None:
        conn.sendall(raw)
        if ending == "reset":
            reset(conn)
        elif ending == "hold":
            time.sleep(TIMEOUT + 0.5)

    with raw_server(handler) as server:
        started = time.monotonic()
        message = ""
        try:
            answer = exchange("127.0.0.1", server.port, method, "/p", {"X-A": "1"}, b"{}", TIMEOUT, LIMIT)
        except ExchangeTimeout:
            pass
        except ProtocolViolation as exc:
            message = str(exc)
        except Unreachable:
            raise AssertionError("the server was listening") from None
        else:
            assert 100 <= answer.status <= 999 and len(answer.body) <= LIMIT + 1
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in message), message
        assert time.monotonic() - started < TIMEOUT + 1.5


@FUZZ
@given(responses())
def test_send_never_raises_and_escapes_what_it_quotes(raw: bytes):
    def handler(conn: socket.socket) -> None:
        conn.sendall(raw)

    with raw_server(handler) as server:
        reply = send(server.port, Call(method="GET"), timeout=TIMEOUT, limit=LIMIT)
    for text in (reply.error, reply.misbehaved, reply.location):
        assert text is None or not any(ord(c) < 0x20 or ord(c) == 0x7F for c in text), text
    assert (reply.status is None) is (reply.body is None)
