"""Serve mode: start the model server with testcontainers in the same sandbox as a command, wait until it is
ready (testcontainers' HTTP and log wait strategies, or the port listening inside the container), send the
request, and always remove the container and its network.

Known pitfalls handled here: Ryuk is switched off (it needs an image pull); testcontainers would publish on
every interface, pick the container's gateway address when it thinks it runs in a container, and choose a
network of its own: the port is bound to 127.0.0.1, the host forced to 127.0.0.1 and the network given, and
all three are checked on the running container before any request is sent.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import uuid
from typing import Any, cast
from urllib.parse import urlparse

from reprocheck.backend.base import LABEL, NOBODY, RUN_LABEL, Progress, Sandbox
from reprocheck.errors import ConfigError
from reprocheck.smoke.http import ServeResult, send_request
from reprocheck.smoke.spec import ServeSpec

os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

from testcontainers.core.config import ConnectionMode, testcontainers_config
from testcontainers.core.container import DockerContainer
from testcontainers.core.wait_strategies import HttpWaitStrategy, LogMessageWaitStrategy
from testcontainers.core.waiting_utils import WaitStrategy, WaitStrategyTarget

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


class _UntilExit(WaitStrategy):
    """Run an inner strategy in short rounds, and stop at once when the server exits: a crash is reported as
    a crash, not as a readiness timeout."""

    def __init__(self, inner: WaitStrategy, timeout: float) -> None:
        super().__init__()
        self._inner = inner.with_startup_timeout(1).with_poll_interval(0.2)
        self._timeout = timeout

    def wait_until_ready(self, container: WaitStrategyTarget) -> None:
        deadline = time.monotonic() + self._timeout
        wrapped = container.get_wrapped_container()
        while True:
            wrapped.reload()
            if wrapped.status in ("exited", "dead"):
                raise ServerExited(wrapped.status)
            try:
                self._inner.wait_until_ready(container)
                return
            except RuntimeError as exc:  # the log strategy: exited before the line
                raise ServerExited(str(exc)) from None
            except TimeoutError:
                pass
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


def _strategy(serve: ServeSpec) -> WaitStrategy:
    if serve.ready_http:
        return HttpWaitStrategy(serve.port, serve.ready_http).for_status_code_matching(lambda c: 200 <= c < 300)
    if serve.ready_log:
        return LogMessageWaitStrategy(re.compile(serve.ready_log, re.MULTILINE))
    return _Listening(serve.port)


class ServeRunner:
    def __init__(self, client: Any, progress: Progress) -> None:
        self.client = client  # docker.DockerClient of the backend
        self.progress = progress

    def run(
        self, image: str, serve: ServeSpec, command: tuple[str, ...], sandbox: Sandbox, timeout: float
    ) -> ServeResult:
        host = serve_host()
        testcontainers_config.tc_host_override = host
        run_id = sandbox.labels.get(RUN_LABEL, uuid.uuid4().hex[:12])
        labels = {LABEL: "1", RUN_LABEL: run_id, **sandbox.labels}
        network = "bridge"
        created_network = None
        if not sandbox.network:  # a bridge without NAT: the published port works, the internet does not
            created_network = self.client.networks.create(
                f"reprocheck-{run_id}", driver="bridge", options=NO_MASQUERADE, labels=labels
            )
            network = created_network.name
        container = self._container(image, serve, command, sandbox, network, labels, bind_address(host))
        started = time.monotonic()
        try:
            self.progress(f"starting the server in {image}; waiting for {serve.readiness}")
            container.waiting_for(_UntilExit(_strategy(serve), serve.ready_timeout))
            try:
                container.start()
            except ServerExited:
                return self._finish(container, started, ready=False, exited=True)
            except TimeoutError:
                return self._finish(container, started, ready=False, exited=False)
            host_port = self._check_published(container, serve.port, network, bind_address(host))
            self.progress(f"server ready; {serve.method} {serve.path}")
            status, body, error, timed_out = send_request(host_port, serve, timeout, host)
            return self._finish(container, started, True, False, status, body, error, timed_out)
        finally:
            with contextlib.suppress(Exception):
                container.stop()
            if created_network is not None:
                with contextlib.suppress(Exception):
                    created_network.remove()

    def _container(
        self,
        image: str,
        serve: ServeSpec,
        command: tuple[str, ...],
        sandbox: Sandbox,
        network: str,
        labels: dict[str, str],
        bind: str,
    ) -> DockerContainer:
        info = self.client.api.inspect_image(image)
        image_user = str((info.get("Config") or {}).get("User") or "")
        user = sandbox.user or (image_user if image_user and image_user.split(":")[0] not in ("root", "0") else NOBODY)
        container = DockerContainer(image)
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
            "mem_limit": sandbox.memory,
            "memswap_limit": sandbox.memory,
            "nano_cpus": int(sandbox.cpus * 1e9),
            "pids_limit": sandbox.pids,
            "labels": labels,
        }
        if sandbox.workdir:
            kwargs["working_dir"] = sandbox.workdir
        if command:
            kwargs["entrypoint"] = [command[0]]
            container.with_command(list(command[1:]))
        return container.with_kwargs(**kwargs)

    def _check_published(self, container: DockerContainer, port: int, network: str, bind: str) -> int:
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
        self,
        container: DockerContainer,
        started: float,
        ready: bool,
        exited: bool,
        status: int | None = None,
        body: bytes | None = None,
        error: str | None = None,
        request_timed_out: bool = False,
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
                stdout = wrapped.logs(stdout=True, stderr=False)
                stderr = wrapped.logs(stdout=False, stderr=True)
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
        )
