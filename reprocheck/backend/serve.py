"""Serve mode on the Docker engine, through the same client and sandbox as a command: the container is created
from ``base.container_config`` (the one definition of the sandbox) with the server's port published on
127.0.0.1 only, its output read by the one bounded reader, readiness waited for (HTTP GET answering 2xx, a
log line, or the port listening inside the container), then every call sent in turn to the one server; the
container and its network always go. Used by ``DockerBackend.serve``; returns plain data (``ServeResult``).

Known pitfalls handled here: a TCP connect to the published port proves nothing (Docker's proxy accepts before
the server listens), so "listening" is read from the container's own /proc/net/tcp; a server that exits while
a probe talks to it (the engine answers 409 Conflict to an exec in a stopped container) is a server that
exited, never an internal error; the port binding and the network are checked on the running container
before any request is sent.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from docker.errors import APIError, NotFound

from reprocheck.backend.base import Progress, ServeRequest, ServeResult, container_config
from reprocheck.backend.common import check_mounts
from reprocheck.backend.http import Reply, ServerMisbehaved, http_ready, send
from reprocheck.backend.logmatch import compile_log_pattern
from reprocheck.backend.output import BoundedOutput
from reprocheck.errors import ConfigError, EngineUnavailable

if TYPE_CHECKING:
    from reprocheck.backend.docker_sdk import DockerBackend

NO_MASQUERADE = {"com.docker.network.bridge.enable_ip_masquerade": "false"}
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
_POLL = 0.2
_ENDED = frozenset({"exited", "dead", "removing"})  # the server's process is gone
_LOOPBACK_GRACE = 3.0  # a server may bind loopback first: seconds of loopback only before it is the answer


def _loopback(address: str) -> bool:
    """An address of /proc/net/tcp{,6} (hex, 32-bit words in host order) on loopback: 127.0.0.0/8, ::1 and
    ::ffff:127.x."""
    address = address.upper()
    if len(address) == 8:
        return address.endswith("7F")
    return address == "00000000000000000000000001000000" or (
        address.startswith("0000000000000000FFFF0000") and address.endswith("7F")
    )


def serve_host() -> str:
    """Where the published port is reached: 127.0.0.1, or ``REPROCHECK_SERVE_HOST`` for an engine elsewhere
    (GitLab's docker:dind service is ``docker``). A remote engine without it is refused: its 127.0.0.1 is
    not ours."""
    explicit = os.environ.get("REPROCHECK_SERVE_HOST", "").strip()
    if explicit:
        return explicit
    host = os.environ.get("DOCKER_HOST", "")
    if host and not host.startswith(("unix://", "npipe://")) and urlparse(host).hostname not in _LOCAL_HOSTS:
        raise ConfigError(
            f"serve mode publishes the server on 127.0.0.1 of the engine's machine, and DOCKER_HOST is {host}: "
            "set REPROCHECK_SERVE_HOST to the engine's address (e.g. `docker` for a docker:dind service), or use "
            "a local engine (command-mode smoke tests work remotely as they are)"
        )
    return "127.0.0.1"


def bind_address(host: str) -> str:
    return "127.0.0.1" if host in _LOCAL_HOSTS else "0.0.0.0"


class _Server:
    """One server container of a run: created, started, probed, asked, removed."""

    def __init__(self, backend: DockerBackend, request: ServeRequest, host: str) -> None:
        self.backend = backend
        self.request = request
        self.host = host
        self.api = backend.client.api
        self.container: Any = None
        self.reader: BoundedOutput | None = None
        self.network_id: str | None = None
        self.network = "bridge"
        self.port = 0
        self.loopback_since: float | None = None  # since when the port listens on loopback only

    def create(self) -> None:
        backend, request, sandbox = self.backend, self.request, self.request.sandbox
        check_mounts(sandbox.mounts)
        labels = {**sandbox.labels, **backend.labels}
        if not sandbox.network:  # a bridge without NAT: the published port works, the internet does not
            created = self.api.create_network(
                f"reprocheck-{backend.run_id}-{os.urandom(3).hex()}",
                driver="bridge",
                options=NO_MASQUERADE,
                labels=labels,
            )
            self.network_id = str(created["Id"])
            backend.journal.created("network", self.network_id)
            self.network = self.network_id
        info = backend.inspect(request.image)
        if info is None:
            raise EngineUnavailable(
                f"image `{request.image}` is not on the engine (reprocheck never pulls; build or load it first)"
            )
        user = sandbox.user or backend.image_user(request.image, info)
        config = container_config(
            request.image, request.command, sandbox, user, backend.cpus(sandbox.cpus), backend.labels
        )
        host_config: dict[str, Any] = dict(config["HostConfig"])  # type: ignore[call-overload]
        host_config["NetworkMode"] = self.network
        host_config["PortBindings"] = {f"{request.port}/tcp": [{"HostIp": bind_address(self.host), "HostPort": ""}]}
        config["HostConfig"] = host_config
        config["ExposedPorts"] = {f"{request.port}/tcp": {}}
        created_container = self.api.create_container_from_config(config)
        self.container = backend.client.containers.prepare_model({"Id": created_container["Id"]})
        backend.journal.created("container", self.container.id)
        self.reader = BoundedOutput(self.api, self.container, sandbox.max_output)

    def published_port(self) -> int | None:
        """The host port of the server's port, once checked to be on the bind address and our network only;
        None when the server has already exited (an exited container publishes nothing)."""
        attrs = self.api.inspect_container(self.container.id)
        if attrs.get("State", {}).get("Status") in _ENDED:
            return None
        mode = attrs["HostConfig"].get("NetworkMode")
        bind = bind_address(self.host)
        bindings = (attrs["NetworkSettings"].get("Ports") or {}).get(f"{self.request.port}/tcp") or []
        if mode != self.network:
            raise RuntimeError(f"the server container runs on network {mode!r}, not {self.network!r}")
        if not bindings or any(b.get("HostIp") != bind for b in bindings):
            raise RuntimeError(f"port {self.request.port} is not published on {bind} only: {bindings}")
        return int(bindings[0]["HostPort"])

    def stopped(self) -> bool:
        try:
            state = self.api.inspect_container(self.container.id).get("State", {})
        except NotFound:
            return True
        except APIError:
            return False
        return state.get("Status") in _ENDED

    def ready_check(self) -> Callable[[], bool]:
        request = self.request
        if request.ready_http:
            path = request.ready_http
            return lambda: http_ready(self.port, path, self.host, timeout=1.0)
        if request.ready_log:
            pattern = compile_log_pattern(request.ready_log)
            reader = self.reader
            assert reader is not None
            return lambda: pattern.search((bytes(reader.stdout) + bytes(reader.stderr)).decode("utf-8", "replace"))
        return self.listening

    def listening(self) -> bool:
        """The port is in LISTEN state in the container's network namespace (read from inside it), on an
        address the published port reaches: a socket on loopback only is noted (``loopback``), not ready."""
        wanted = f":{self.request.port:04X}"
        exec_id = self.api.exec_create(self.container.id, ["cat", "/proc/net/tcp", "/proc/net/tcp6"], stderr=False)
        output = self.api.exec_start(exec_id, demux=False) or b""
        found = False
        for line in output.decode("ascii", "replace").splitlines():
            fields = line.split()
            if len(fields) > 3 and fields[1].endswith(wanted) and fields[3] == "0A":
                if not _loopback(fields[1].rsplit(":", 1)[0]):
                    return True
                found = True
        self.loopback_since = (self.loopback_since or time.monotonic()) if found else None
        return False

    def wait_ready(self) -> str:
        """ "ready", "exited" or "timeout"; a readiness check that meets a redirect or broken HTTP raises
        ``ServerMisbehaved`` (waiting longer would not change it)."""
        deadline = time.monotonic() + self.request.ready_timeout
        check = self.ready_check()
        while True:
            if self.stopped():
                return "exited"
            try:
                if check():
                    return "ready"
            except (APIError, OSError):  # 409: the probe met a stopped container
                if self.stopped():
                    return "exited"
            if self.loopback_since is not None and time.monotonic() - self.loopback_since >= _LOOPBACK_GRACE:
                return "loopback"  # listening where nothing outside the container can reach it
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            time.sleep(min(_POLL, left))

    def ask(self) -> tuple[Reply, ...]:
        """Every call in turn, each within the request's timeout; the body bounded by max-output."""
        limit = self.request.sandbox.max_output
        replies = []
        for call in self.request.calls:
            reply = send(self.port, call, self.request.timeout, self.host, limit=limit)
            if reply.body is not None and len(reply.body) > limit:
                reply = replace(reply, body=reply.body[:limit], exceeded=True)
            replies.append(reply)
        return tuple(replies)

    def result(self, ready: bool, replies: tuple[Reply, ...], started: float, misbehaved: str | None) -> ServeResult:
        exit_code: int | None = None
        oom = exited = False
        with contextlib.suppress(APIError, NotFound):
            state = self.api.inspect_container(self.container.id).get("State", {})
            oom = bool(state.get("OOMKilled", False))
            if state.get("Status") in _ENDED:
                exit_code, exited = int(state.get("ExitCode", -1)), True
        reader = self.reader
        assert reader is not None
        if exited:
            reader.finish(5.0)  # the end of its output, before the stream closes
        return ServeResult(
            ready=ready,
            exited=exited,
            exit_code=exit_code,
            oom_killed=oom,
            stdout=bytes(reader.stdout),
            stderr=bytes(reader.stderr),
            replies=replies,
            seconds=time.monotonic() - started,
            exceeded=reader.exceeded,
            misbehaved=misbehaved,
        )

    def remove(self) -> None:
        if self.reader is not None:
            self.reader.close()
        if self.container is not None:
            with contextlib.suppress(Exception):
                self.api.remove_container(self.container.id, force=True)
                self.backend.journal.removed("container", self.container.id)
        if self.network_id is not None:
            with contextlib.suppress(Exception):
                self.api.remove_network(self.network_id)
                self.backend.journal.removed("network", self.network_id)


def serve(backend: DockerBackend, request: ServeRequest, progress: Progress) -> ServeResult:
    """Start the server, wait for readiness, send every call; the container and its network always go."""
    server = _Server(backend, request, serve_host())
    started = time.monotonic()
    try:
        server.create()
        progress(f"starting the server in {request.image}; waiting for {request.readiness}")
        try:
            server.container.start()
        except APIError as exc:  # e.g. the executable is not in the image, or no GPU runtime
            message = str(getattr(exc, "explanation", None) or exc).encode()
            return replace(server.result(False, (), started, None), exited=True, stderr=message)
        port = server.published_port()
        if port is None:
            return server.result(False, (), started, None)
        server.port = port
        try:
            state = server.wait_ready()
        except ServerMisbehaved as exc:  # a redirect or a broken answer to the readiness check
            return server.result(False, (), started, str(exc))
        if state != "ready":
            return replace(server.result(False, (), started, None), loopback_only=state == "loopback")
        calls = request.calls
        progress(
            f"server ready; {f'{calls[0].method} {calls[0].path}' if len(calls) == 1 else f'{len(calls)} requests'}"
        )
        return server.result(True, server.ask(), started, None)
    finally:
        server.remove()
