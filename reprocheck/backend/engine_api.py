"""The Docker Engine API over its unix socket, with the standard library only: the requests of a run on an
image at hand (version, image look-ups, create, attach, start, wait, kill, inspect, archive, remove).

Importing the docker SDK costs what the rest of ``reprocheck smoke`` costs together (requests, urllib3,
charset detection: ~380 M instructions of ~1,050 M on a reused image); each request here is one short
HTTP/1.1 exchange on a new unix connection (``Connection: close``), bodies read by length, in chunks or to
the end. Anything else (builds, exports, TCP, TLS or SSH engines) stays with the SDK (``docker_sdk``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import stat
import struct
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any
from urllib.parse import quote, urlencode

from reprocheck.backend.base import BindMount, ImageInfo
from reprocheck.errors import ConfigError

_MAX_LINE = 65536
_FORBIDDEN_SOURCES = ("/proc", "/sys", "/dev", "/run", "/var/run", "/boot")


def engine_hint(host: str) -> str:
    return (
        f"no Docker engine answers at {host}. Start one (dockerd, Docker Desktop, colima...) or point DOCKER_HOST "
        "at one (unix:///var/run/docker.sock, tcp://host:2376, ssh://user@host); `reprocheck lint` needs none"
    )


class Chunks(io.RawIOBase):
    """A file object over an iterator of byte chunks, for tarfile's streaming mode."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(b), len(self._buffer))
        b[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


class ApiError(Exception):
    """The engine answered with an error status; ``explanation`` is its message."""

    def __init__(self, status: int, explanation: str) -> None:
        super().__init__(f"{status}: {explanation}")
        self.status = status
        self.explanation = explanation


class NotFoundError(ApiError):
    pass


def unix_socket(host: str) -> str | None:
    """The socket path of a ``unix://`` DOCKER_HOST; None for any other transport (left to the SDK)."""
    if not host.startswith("unix://"):
        return None
    return host[len("unix://") :] or None


class EngineApi:
    """One engine, one request per connection. ``version`` (``1.41``) prefixes every path once known."""

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self.version = ""

    def _url(self, path: str, params: Mapping[str, Any] | None) -> str:
        prefix = f"/v{self.version}" if self.version else ""
        query = urlencode({k: v for k, v in params.items() if v is not None}, doseq=True) if params else ""
        return prefix + path + (f"?{query}" if query else "")

    def _exchange(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: object,
        headers: tuple[str, ...],
        timeout: float | None,
    ) -> tuple[socket.socket, IO[bytes], int, dict[str, str]]:
        data = b"" if body is None else json.dumps(body).encode()
        head = [
            f"{method} {self._url(path, params)} HTTP/1.1",
            "Host: docker",
            *headers,
            f"Content-Length: {len(data)}",
        ]
        if body is not None:
            head.append("Content-Type: application/json")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(self.path)
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data)
            reader = sock.makefile("rb")
            status_line = reader.readline(_MAX_LINE).split(None, 2)
            if len(status_line) < 2 or not status_line[0].startswith(b"HTTP/"):
                raise OSError("the engine's answer is not HTTP")
            fields: dict[str, str] = {}
            while (line := reader.readline(_MAX_LINE)) not in (b"\r\n", b"\n", b""):
                key, _, value = line.decode("latin-1").partition(":")
                fields[key.strip().lower()] = value.strip()
            return sock, reader, int(status_line[1]), fields
        except BaseException:
            sock.close()
            raise

    def stream(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        body: object = None,
        timeout: float | None = -1.0,
    ) -> Iterator[bytes]:
        """The response body in pieces; ApiError (NotFoundError for 404) on an error status. ``timeout``:
        seconds per socket operation, None for none, -1 for the client's."""
        sock, reader, status, fields = self._exchange(
            method, path, params, body, ("Connection: close",), self.timeout if timeout == -1 else timeout
        )
        try:
            if status >= 400:
                raise (NotFoundError if status == 404 else ApiError)(status, _message(b"".join(_body(reader, fields))))
            yield from _body(reader, fields)
        finally:
            reader.close()
            sock.close()

    def request(self, method: str, path: str, params: Mapping[str, Any] | None = None, **kw: Any) -> Any:
        """The decoded JSON answer (None when empty)."""
        data = b"".join(self.stream(method, path, params, **kw))
        return json.loads(data) if data.strip() else None

    def attach(self, container_id: str) -> tuple[socket.socket, IO[bytes]]:
        """The container's stdout and stderr (multiplexed frames), attached before it starts."""
        sock, reader, status, _fields = self._exchange(
            "POST",
            f"/containers/{quote(container_id)}/attach",
            {"stdout": 1, "stderr": 1, "stream": 1, "logs": 0},
            None,
            ("Connection: Upgrade", "Upgrade: tcp"),
            self.timeout,
        )
        if status >= 400:
            with reader, sock:
                raise (NotFoundError if status == 404 else ApiError)(status, _message(reader.read(_MAX_LINE)))
        sock.settimeout(None)  # a silent prediction must not time the stream out
        return sock, reader


def _body(reader: IO[bytes], fields: Mapping[str, str]) -> Iterator[bytes]:
    if "chunked" in fields.get("transfer-encoding", "").lower():
        while True:
            size = int(reader.readline(_MAX_LINE).split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while reader.readline(_MAX_LINE) not in (b"\r\n", b"\n", b""):  # trailers
                    pass
                return
            yield _exactly(reader, size)
            reader.readline(_MAX_LINE)
    elif "content-length" in fields:
        left = int(fields["content-length"])
        while left > 0:
            piece = reader.read(min(left, 1024 * 1024))
            if not piece:
                raise OSError("the engine closed the connection mid-answer")
            left -= len(piece)
            yield piece
    else:
        while piece := reader.read(1024 * 1024):
            yield piece


def _exactly(reader: IO[bytes], size: int) -> bytes:
    data = reader.read(size)
    if len(data) != size:
        raise OSError("the engine closed the connection mid-answer")
    return data


def _message(data: bytes) -> str:
    try:
        doc = json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace").strip()
    return str(doc.get("message", doc)) if isinstance(doc, dict) else str(doc)


def image_info(attrs: Mapping[str, Any]) -> ImageInfo:
    """An image inspection (``GET /images/{name}/json``) as plain data."""
    config = attrs.get("Config") or {}
    return ImageInfo(
        id=str(attrs.get("Id", "")),
        tags=tuple(attrs.get("RepoTags") or ()),
        repo_digests=tuple(attrs.get("RepoDigests") or ()),
        user=str(config.get("User") or ""),
        workdir=str(config.get("WorkingDir") or ""),
        env=tuple(config.get("Env") or ()),
        entrypoint=tuple(config.get("Entrypoint") or ()),
        cmd=tuple(config.get("Cmd") or ()),
        labels=dict(config.get("Labels") or {}),
        created=str(attrs.get("Created", "")),
        architecture=str(attrs.get("Architecture", "")),
        os=str(attrs.get("Os", "")),
        layers=tuple((attrs.get("RootFS") or {}).get("Layers") or ()),
    )


def check_mounts(mounts: tuple[BindMount, ...]) -> None:
    """The last line of defence: only regular files and directories are ever bind-mounted, never the
    engine's socket, devices, or the host's /proc, /sys, /dev, /run."""
    for m in mounts:
        real = os.path.realpath(m.source)
        try:
            mode = os.stat(real).st_mode
        except OSError as exc:
            raise ConfigError(f"cannot mount `{m.source}`: {exc.strerror}") from None
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)) or real == "/":
            raise ConfigError(f"refused to mount `{m.source}`: only regular files and directories are mounted")
        if any(real == p or real.startswith(p + "/") for p in _FORBIDDEN_SOURCES):
            raise ConfigError(f"refused to mount `{m.source}` ({real}): a host system path")


class Output:
    """The container's stdout and stderr from an attach made before it starts, kept up to ``limit`` bytes
    each; past that ``kill`` is called (from another thread) and ``exceeded`` names the stream. Memory
    stays flat whatever the prediction prints."""

    def __init__(self, attached: tuple[socket.socket, IO[bytes]], limit: int, kill: Callable[[], None]) -> None:
        self.limit = limit
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.exceeded: str | None = None
        self._sock, self._reader = attached
        self._kill = kill
        self._thread = threading.Thread(target=self._pump, name="reprocheck-output", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        try:
            while len(header := self._reader.read(8)) == 8:
                kind, size = header[0], struct.unpack(">I", header[4:])[0]
                data = _exactly(self._reader, size)
                name, buffer = ("stderr", self.stderr) if kind == 2 else ("stdout", self.stdout)
                if self.exceeded:
                    continue
                room = self.limit - len(buffer)
                buffer += data[: max(room, 0)]
                if len(data) > room:
                    self.exceeded = name
                    threading.Thread(target=self._kill, name="reprocheck-kill", daemon=True).start()
        except Exception:  # the stream closes when the container is removed
            return

    def finish(self, wait: float = 30.0) -> None:
        self._thread.join(wait)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)  # the pump's read returns, then its reader can be closed
        self._thread.join(5.0)
        with contextlib.suppress(Exception):
            self._reader.close()
        self._sock.close()
