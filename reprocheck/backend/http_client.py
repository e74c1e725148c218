"""A small HTTP/1.1 client for talking to a server reprocheck does not trust (the project's model server).

What urllib does and this does not: follow redirects (a 3xx is returned as it is, Location unread), give each
read its own timeout (here one deadline covers connect, request, status line, headers and body, so a server
trickling a byte at a time is cut at it), and raise its own exceptions for a response that breaks HTTP (here
each is a ``ProtocolViolation`` that quotes, escaped, what the server sent). Limits: a line of the head at most
64 KiB, at most 100 header fields, the body at most ``limit + 1`` bytes. Bodies are never decompressed.
Standard library only.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass

MAX_LINE = 64 * 1024
MAX_HEADERS = 100
MAX_INTERIM = 16  # 1xx answers skipped before the final one
_QUOTED = 200  # bytes of what was received quoted in a message
_KEPT = 4096  # bytes of the start of the answer kept for quoting


class ExchangeTimeout(Exception):
    """The deadline passed before the answer was complete."""

    def __init__(self, received: bytes) -> None:
        super().__init__(f"received {len(received)} bytes" if received else "nothing received")
        self.received = received


class Unreachable(Exception):
    """Nothing accepted the connection (refused, no route)."""


class ProtocolViolation(Exception):
    """The server's answer is not HTTP as a client can accept it."""

    def __init__(self, what: str, received: bytes) -> None:
        super().__init__(f"{what}; it sent {show(received)}" if received else what)
        self.what = what
        self.received = received


class NoAnswer(ProtocolViolation):
    """The connection was closed or reset before a single byte came back (a server still starting, or a
    proxy in front of a port nothing listens on yet)."""


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


def show(data: bytes, limit: int = _QUOTED) -> str:
    """``data`` as a quoted, escaped string: printable ASCII as it is, everything else as ``\\xNN`` (``\\r``,
    ``\\n``, ``\\t`` by name), cut at ``limit`` bytes with the total said."""
    out = []
    for b in data[:limit]:
        if b == 0x5C:
            out.append("\\\\")
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append({0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}.get(b, f"\\x{b:02x}"))
    more = f"... ({len(data)} bytes in all)" if len(data) > limit else ""
    return '"' + "".join(out) + '"' + more


class _Reader:
    """Reads from the socket against one deadline; keeps the first bytes for quoting."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.buffer = bytearray()
        self.seen = bytearray()
        self.total = 0

    def fill(self) -> bool:
        """Read more; False at the end of the stream."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise ExchangeTimeout(bytes(self.seen))
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            raise ExchangeTimeout(bytes(self.seen)) from None
        except OSError as exc:  # reset
            kind = NoAnswer if not self.total else ProtocolViolation
            reason = exc.strerror or str(exc)
            raise kind(f"the connection failed ({reason}) in the middle of the answer", bytes(self.seen)) from None
        if not chunk:
            return False
        self.total += len(chunk)
        if len(self.seen) < _KEPT:
            self.seen += chunk[: _KEPT - len(self.seen)]
        self.buffer += chunk
        return True

    def line(self, what: str) -> bytes:
        """One line of the head, without its line end."""
        start = 0
        while True:
            end = self.buffer.find(b"\n", start)
            if end >= 0:
                if end > MAX_LINE:
                    break
                line = bytes(self.buffer[:end])
                del self.buffer[: end + 1]
                return line.removesuffix(b"\r")
            start = len(self.buffer)
            if start > MAX_LINE:
                break
            if not self.fill():
                if not self.total:
                    raise NoAnswer("the server closed the connection without answering", b"")
                raise ProtocolViolation(f"the connection closed in the middle of {what}", bytes(self.seen))
        raise ProtocolViolation(f"{what} is longer than 64 KiB", bytes(self.seen))

    def exactly(self, n: int, what: str) -> bytes:
        while len(self.buffer) < n:
            if not self.fill():
                raise ProtocolViolation(
                    f"the connection closed in the middle of {what} ({len(self.buffer)} of {n} bytes)",
                    bytes(self.seen),
                )
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        return data

    def rest(self, limit: int) -> bytes:
        while len(self.buffer) < limit and self.fill():
            pass
        data = bytes(self.buffer[:limit])
        del self.buffer[:limit]
        return data


def exchange(
    host: str,
    port: int,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes | None,
    timeout: float,
    limit: int | None = None,
) -> Response:
    """Send one request and read its answer, all within ``timeout`` seconds. With ``limit``, at most
    ``limit + 1`` bytes of the body are read (the caller tells "past the limit" from the length)."""
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except TimeoutError:
        raise ExchangeTimeout(b"") from None
    except OSError as exc:
        raise Unreachable(exc.strerror or str(exc)) from None
    with sock:
        _send(sock, deadline, _head(host, port, method, path, headers, body) + (body or b""))
        reader = _Reader(sock, deadline)
        for _ in range(MAX_INTERIM):
            status, reason = _status(reader)
            fields = _fields(reader)
            if status >= 200 or status == 101:
                break
        else:
            raise ProtocolViolation(f"more than {MAX_INTERIM} interim (1xx) answers", bytes(reader.seen))
        cap = (1 << 62) if limit is None else limit + 1
        return Response(status, reason, fields, _body(reader, method, status, fields, cap))


def _head(host: str, port: int, method: str, path: str, headers: Mapping[str, str], body: bytes | None) -> bytes:
    given = {k.lower() for k in headers}
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
        if "content-type" not in given:  # what urllib sent (and record's golden answers were made with)
            lines.append("Content-Type: application/x-www-form-urlencoded")
    if "user-agent" not in given:
        lines.append("User-Agent: reprocheck")
    lines.append("Accept-Encoding: identity")
    lines.append("Connection: close")
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in ("host", "content-length", "connection")]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _send(sock: socket.socket, deadline: float, data: bytes) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ExchangeTimeout(b"")
    sock.settimeout(remaining)  # since Python 3.5 the whole sendall is bounded by it
    try:
        sock.sendall(data)
    except TimeoutError:
        raise ExchangeTimeout(b"") from None
    except OSError:
        pass  # the server stopped reading (it may have answered already, e.g. 413): read what it sent


def _status(reader: _Reader) -> tuple[int, str]:
    line = reader.line("the status line")
    parts = line.split(b" ", 2)
    version = parts[0]
    code = parts[1] if len(parts) > 1 else b""
    if not (version.startswith(b"HTTP/1.") and len(version) == 8 and code.isdigit() and len(code) == 3):
        raise ProtocolViolation("the status line is not HTTP/1.x", bytes(reader.seen))
    status = int(code)
    if status < 100:
        raise ProtocolViolation(f"status {status} is not an HTTP status", bytes(reader.seen))
    reason = parts[2].decode("latin-1") if len(parts) > 2 else ""
    return status, reason


def _fields(reader: _Reader) -> tuple[tuple[str, str], ...]:
    fields: list[tuple[str, str]] = []
    while True:
        line = reader.line("a header line")
        if not line:
            return tuple(fields)
        if line[:1] in (b" ", b"\t") and fields:  # obsolete line folding
            last, folded = fields[-1]
            fields[-1] = (last, f"{folded} {line.strip().decode('latin-1')}")
            continue
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise ProtocolViolation("a header line is not `name: value`", bytes(reader.seen))
        if len(fields) >= MAX_HEADERS:
            raise ProtocolViolation(f"more than {MAX_HEADERS} header fields", bytes(reader.seen))
        fields.append((name.decode("latin-1"), value.strip().decode("latin-1")))


def _body(reader: _Reader, method: str, status: int, fields: tuple[tuple[str, str], ...], cap: int) -> bytes:
    if method == "HEAD" or status in (204, 304) or status < 200:
        return b""
    values = {k.lower(): v for k, v in fields}
    encodings = [e.strip().lower() for e in values.get("transfer-encoding", "").split(",") if e.strip()]
    if encodings:
        if encodings[-1] != "chunked":
            return reader.rest(cap)  # the length is the connection's end
        return _chunked(reader, cap)
    lengths = {v.strip() for k, v in fields if k.lower() == "content-length"}
    if lengths:
        length = lengths.pop()
        if lengths or not length.isdigit():
            raise ProtocolViolation("the Content-Length is not one number", bytes(reader.seen))
        return reader.exactly(min(int(length), cap), "the body")
    return reader.rest(cap)


def _chunked(reader: _Reader, cap: int) -> bytes:
    body = bytearray()
    while len(body) < cap:
        size_text = reader.line("a chunk size line").split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16) if size_text and len(size_text) <= 16 else -1
        except ValueError:
            size = -1
        if size < 0:
            raise ProtocolViolation("a chunk size is not a hexadecimal number", bytes(reader.seen))
        if size == 0:
            for _ in range(MAX_HEADERS + 1):  # trailer fields, then the empty line
                if not reader.line("the trailer"):
                    return bytes(body)
            raise ProtocolViolation(f"more than {MAX_HEADERS} trailer fields", bytes(reader.seen))
        body += reader.exactly(min(size, cap - len(body)), "a chunk")
        if len(body) >= cap:
            break
        if reader.exactly(2, "a chunk") != b"\r\n":
            raise ProtocolViolation("a chunk does not end with CRLF", bytes(reader.seen))
    return bytes(body[:cap])
