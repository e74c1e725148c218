"""Serve mode on the Docker engine: start the model server with testcontainers in the same sandbox as a
command, wait until it is ready (testcontainers' HTTP and log wait strategies, or the port listening inside
the container), send the request, and always remove the container and its network. Used by
``DockerBackend.serve``; returns plain data (``ServeResult``).

Known pitfalls handled here: Ryuk is switched off (it needs an image pull); testcontainers would publish on
every interface, pick the container's gateway address when it thinks it runs in a container, and choose a
network of its own: the port is bound to 127.0.0.1, the host forced to 127.0.0.1 and the network given, and
all three are checked on the running container before any request is sent. A server that exits while a
readiness probe talks to it (the engine answers 409 Conflict to an exec in a stopped container) is a server
that exited, never an internal error.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlparse

from reprocheck.backend.base import NOBODY, Progress, Sandbox
from reprocheck.backend.http import ServeRequest, ServeResult, ServerMisbehaved, http_ready, send
from reprocheck.backend.logmatch import compile_log_pattern
from reprocheck.errors import ConfigError

os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

from docker.errors import APIError, NotFound
from docker.types import LogConfig
from testcontainers.core.config import ConnectionMode, testcontainers_config
from testcontainers.core.container import DockerContainer
from testcontainers.core.waiting_utils import WaitStrategy, WaitStrategyTarget

if TYPE_CHECKING:
    from reprocheck.backend.docker_sdk import DockerBackend

testcontainers_config.ryuk_disabled = True
testcontainers_config.tc_host_override = "127.0.0.1"
testcontainers_config.connection_mode_override = ConnectionMode.docker_host

NO_MASQUERADE = {"com.docker.network.bridge.enable_ip_masquerade": "false"}
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class ServerExited(Exception):
    """The server's process ended before it was ready."""


class _Listening(WaitStrategy):
    """Ready when the port is in LISTEN state inside the container's network namespace. (A TCP connect to the
    published port proves nothing: Docker's userland proxy accepts before the server listens.)"""

    def __init__(self, port: int) -> None:
        super().__init__()
        self._hex = f":{port:04X}"

    def wait_until_ready(self, container: WaitStrategyTarget) -> None:
        deadline = time.monotonic() + self._startup_timeout
        wrapped = container.get_wrapped_container()
        while True:
            result = wrapped.exec_run(["cat", "/proc/net/tcp", "/proc/net/tcp6"], stdout=True, stderr=False)
            for line in (result.output or b"").decode("ascii", "replace").splitlines()[1:]:
                fields = line.split()
                if len(fields) > 3 and fields[1].endswith(self._hex) and fields[3] == "0A":
                    return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"nothing listens on {self._hex[1:]}")
            time.sleep(self._poll_interval)


class _HttpReady(WaitStrategy):
    """Ready when a GET on the path answers 2xx through the published port. Our own client, not urllib's:
    a redirect is a finding (never followed: its target could be any service of the host), and so is an
    answer that breaks HTTP; each probe is bounded by one deadline."""

    def __init__(self, port: int, path: str) -> None:
        super().__init__()
        self._port = port
        self._path = path

    def wait_until_ready(self, container: WaitStrategyTarget) -> None:
        deadline = time.monotonic() + self._startup_timeout
        host = container.get_container_host_ip()
        port = int(container.get_exposed_port(self._port))
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"GET {self._path} did not answer 2xx")
            if http_ready(port, self._path, host, timeout=min(1.0, left)):
                return
            time.sleep(min(self._poll_interval, max(0.0, deadline - time.monotonic())))


class _LogReady(WaitStrategy):
    """Ready when the server's output matches ``ready-log``, searched with RE2 (linear time: a pattern the
    project writes cannot stall the wait)."""

    def __init__(self, pattern: str) -> None:
        super().__init__()
        self._pattern = compile_log_pattern(pattern)

    def wait_until_ready(self, container: WaitStrategyTarget) -> None:
        deadline = time.monotonic() + self._startup_timeout
        wrapped = container.get_wrapped_container()
        while True:
            logs = wrapped.logs(stdout=True, stderr=True)
            if self._pattern.search(logs.decode("utf-8", "replace")):
                return
            if time.monotonic() >= deadline:
                raise TimeoutError("no log line matched")
            time.sleep(self._poll_interval)


def _stopped(wrapped: Any) -> bool:
    try:
        wrapped.reload()
    except NotFound:
        return True
    except APIError:
        return False
    return wrapped.status in ("exited", "dead")


class _UntilExit(WaitStrategy):
    """Run an inner strategy in short rounds, and stop at once when the server exits: a crash is reported as
    a crash, not as a readiness timeout (nor as the engine's 409 to a probe of a stopped container)."""

    def __init__(self, inner: WaitStrategy, timeout: float) -> None:
        super().__init__()
        self._inner = inner.with_startup_timeout(1).with_poll_interval(0.2)
        self._timeout = timeout

    def wait_until_ready(self, container: WaitStrategyTarget) -> None:
        deadline = time.monotonic() + self._timeout
        wrapped = container.get_wrapped_container()
        while True:
            if _stopped(wrapped):
                raise ServerExited(wrapped.status)
            # each round ends by the overall deadline: the ready timeout always wins
            self._inner._startup_timeout = max(0.05, min(1.0, deadline - time.monotonic()))
            try:
                self._inner.wait_until_ready(container)
                return
            except RuntimeError as exc:  # the log strategy: exited before the line
                raise ServerExited(str(exc)) from None
            except TimeoutError:
                pass
            except (APIError, ConnectionError, OSError) as exc:  # 409: the probe met a stopped container
                if _stopped(wrapped):
                    raise ServerExited(str(exc)) from None
                time.sleep(0.2)
            if time.monotonic() >= deadline:
                raise TimeoutError(f"not ready within {self._timeout:g} s")


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


def _strategy(serve: ServeRequest) -> WaitStrategy:
    if serve.ready_http:
        return _HttpReady(serve.port, serve.ready_http)
    if serve.ready_log:
        return _LogReady(serve.ready_log)
    return _Listening(serve.port)


def serve(
    backend: DockerBackend,
    image: str,
    request: ServeRequest,
    command: tuple[str, ...],
    sandbox: Sandbox,
    timeout: float,
    progress: Progress,
) -> ServeResult:
    """Start the server, wait for readiness, send the request; the container and its network always go."""
    host = serve_host()
    testcontainers_config.tc_host_override = host
    labels = {**sandbox.labels, **backend.labels}
    network = "bridge"
    created_network = None
    if not sandbox.network:  # a bridge without NAT: the published port works, the internet does not
        created_network = backend.client.networks.create(
            f"reprocheck-{backend.run_id}-{os.urandom(3).hex()}", driver="bridge", options=NO_MASQUERADE, labels=labels
        )
        backend.journal.created("network", created_network.id)
        network = created_network.name
    container = _container(backend, image, request, command, sandbox, network, labels, bind_address(host))
    started = time.monotonic()
    try:
        progress(f"starting the server in {image}; waiting for {request.readiness}")
        container.waiting_for(_UntilExit(_strategy(request), request.ready_timeout))
        try:
            container.start()
        except ServerExited:
            return _finish(backend, container, started, ready=False, exited=True)
        except ServerMisbehaved as exc:  # a redirect or a broken answer to the readiness check
            return _finish(backend, container, started, ready=False, exited=False, misbehaved=str(exc))
        except TimeoutError:
            return _finish(backend, container, started, ready=False, exited=False)
        except APIError:  # the engine refused the container, or it died under a probe
            if container.get_wrapped_container() is None:
                raise
            return _finish(backend, container, started, ready=False, exited=True)
        host_port = _check_published(container, request.port, network, bind_address(host))
        progress(f"server ready; {request.method} {request.path}")
        reply = send(host_port, request, timeout, host, limit=sandbox.max_output)
        return _finish(
            backend,
            container,
            started,
            True,
            False,
            reply.status,
            reply.body,
            reply.error,
            reply.timed_out,
            sandbox.max_output,
            reply.misbehaved,
            reply.location,
        )
    finally:
        wrapped = container.get_wrapped_container()
        if wrapped is not None:
            with contextlib.suppress(Exception):
                wrapped.remove(force=True)
            backend.journal.removed("container", wrapped.id)
        if created_network is not None:
            with contextlib.suppress(Exception):
                created_network.remove()
            backend.journal.removed("network", created_network.id)


def _container(
    backend: DockerBackend,
    image: str,
    serve: ServeRequest,
    command: tuple[str, ...],
    sandbox: Sandbox,
    network: str,
    labels: dict[str, str],
    bind: str,
) -> DockerContainer:
    from reprocheck.backend.common import check_mounts

    check_mounts(sandbox.mounts)
    info = backend.inspect(image)
    image_user = info.user if info else ""
    user = sandbox.user or (image_user if image_user and image_user.split(":")[0] not in ("root", "0") else NOBODY)
    container = _JournalledContainer(image, backend)
    cast(dict[str, Any], container.ports)[f"{serve.port}/tcp"] = (bind, None)
    container.tmpfs.update(sandbox.tmpfs)  # full mount options (with_tmpfs_mount takes a size only)
    for m in sandbox.mounts:
        container.with_volume_mapping(m.source, m.target, "ro" if m.read_only else "rw")
    for key, value in sandbox.env.items():
        container.with_env(key, value)
    kwargs: dict[str, Any] = {
        "network": network,
        "user": user,
        "read_only": sandbox.read_only,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "privileged": False,
        "ipc_mode": "private",
        "mem_limit": sandbox.memory,
        "memswap_limit": sandbox.memory,
        "nano_cpus": int(min(sandbox.cpus, backend.ncpu()) * 1e9),
        "pids_limit": sandbox.pids,
        "labels": labels,
        # the server's log on the engine is capped: what it prints past the limit is dropped, oldest first
        "log_config": LogConfig(
            type=LogConfig.types.JSON, config={"max-size": str(max(sandbox.max_output, 1024**2)), "max-file": "1"}
        ),
    }
    if sandbox.shm_size:
        kwargs["shm_size"] = sandbox.shm_size
    if sandbox.workdir:
        kwargs["working_dir"] = sandbox.workdir
    if command:
        kwargs["entrypoint"] = [command[0]]
        container.with_command(list(command[1:]))
    return container.with_kwargs(**kwargs)


class _JournalledContainer(DockerContainer):
    """testcontainers' container, written to the run's journal as soon as the engine has created it."""

    def __init__(self, image: str, backend: DockerBackend) -> None:
        super().__init__(image)
        self._backend = backend

    def get_wrapped_container(self) -> Any:
        wrapped = super().get_wrapped_container()
        if wrapped is not None:
            self._backend.journal.created("container", wrapped.id)
        return wrapped


def _check_published(container: DockerContainer, port: int, network: str, bind: str) -> int:
    container.get_wrapped_container().reload()
    attrs = container.get_wrapped_container().attrs
    mode = attrs["HostConfig"].get("NetworkMode")
    bindings = (attrs["NetworkSettings"].get("Ports") or {}).get(f"{port}/tcp") or []
    if mode != network:
        raise RuntimeError(f"the server container runs on network {mode!r}, not {network!r}")
    if not bindings or any(b.get("HostIp") != bind for b in bindings):
        raise RuntimeError(f"port {port} is not published on {bind} only: {bindings}")
    return int(bindings[0]["HostPort"])


def _finish(
    backend: DockerBackend,
    container: DockerContainer,
    started: float,
    ready: bool,
    exited: bool,
    status: int | None = None,
    body: bytes | None = None,
    error: str | None = None,
    request_timed_out: bool = False,
    limit: int | None = None,
    misbehaved: str | None = None,
    location: str | None = None,
) -> ServeResult:
    wrapped = container.get_wrapped_container()
    stdout = stderr = b""
    exit_code: int | None = None
    oom = False
    if wrapped is not None:
        with contextlib.suppress(Exception):
            wrapped.reload()
            state = wrapped.attrs.get("State", {})
            oom = bool(state.get("OOMKilled", False))
            if wrapped.status in ("exited", "dead"):
                exit_code = int(state.get("ExitCode", -1))
                exited = True
        with contextlib.suppress(Exception):
            stdout = wrapped.logs(stdout=True, stderr=False)
            stderr = wrapped.logs(stdout=False, stderr=True)
    exceeded = None
    if limit is not None and body is not None and len(body) > limit:
        exceeded, body = "the response body", body[:limit]
    return ServeResult(
        ready,
        exited,
        exit_code,
        oom,
        stdout,
        stderr,
        status,
        body,
        error,
        request_timed_out,
        time.monotonic() - started,
        exceeded,
        misbehaved,
        location,
    )
