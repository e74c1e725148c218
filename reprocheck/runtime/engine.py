"""The container engine the pipeline drives: DOCKER_HOST's, reached once per run, through the one client."""

from __future__ import annotations

from dataclasses import dataclass

from reprocheck.backend.base import ContainerBackend


@dataclass(frozen=True)
class Engine:
    backend: ContainerBackend
    version: str
    host: str

    def __str__(self) -> str:
        return f"Docker engine {self.version} at {self.host}"


def connect() -> Engine:
    """The engine; EngineUnavailable (one line saying what to do) when none answers. Its containers are
    removed in the background while the run goes on: the caller must ``backend.close()`` at the end."""
    from reprocheck.backend.docker_sdk import DockerBackend

    # one client for every engine (unix socket, TCP, TLS, SSH, contexts): the docker SDK, imported here only
    backend = DockerBackend(background_removal=True)
    version = backend.ping()
    return Engine(backend, version, backend.host)
