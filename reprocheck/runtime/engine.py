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
    """The engine; EngineUnavailable (one line saying what to do) when none answers."""
    from reprocheck.backend.docker_sdk import DockerBackend

    backend = DockerBackend()
    version = backend.ping()
    return Engine(backend, version, backend.host)
