"""The container engine the pipeline drives: DOCKER_HOST's, reached once per run."""

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
    from reprocheck.backend.docker_api import DockerApiBackend, local_socket

    backend: ContainerBackend
    path = local_socket()
    if path is not None:  # the API directly: the docker SDK is imported only if a build or an export needs it
        backend = DockerApiBackend(path, background_removal=True)
    else:  # TCP, TLS, SSH: the SDK's transports
        from reprocheck.backend.docker_sdk import DockerBackend

        backend = DockerBackend(background_removal=True)
    version = backend.ping()
    return Engine(backend, version, backend.host)
