"""The container engine the pipeline drives: DOCKER_HOST's, reached once per run, through the one client.

This module is the one place that chooses and opens the client (the docker SDK backend, imported here only):
the pipeline, ``fix``'s look-ups (``for_fix``), ``reprocheck clean``, the tests' support and the benchmarks
all open the engine through ``connect`` or ``open_backend``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reprocheck.backend.base import ContainerBackend

if TYPE_CHECKING:
    from reprocheck.backend.docker_sdk import DockerBackend


@dataclass(frozen=True)
class Engine:
    backend: ContainerBackend
    version: str
    host: str

    def __str__(self) -> str:
        return f"Docker engine {self.version} at {self.host}"


def open_backend(
    *,
    timeout: float = 120.0,
    project: Path | None = None,
    run_id: str | None = None,
    background_removal: bool = False,
) -> DockerBackend:
    """A backend on DOCKER_HOST's engine, not yet connected (the first request connects). Everything it
    creates carries its run's labels (and the project's, once it knows the project)."""
    from reprocheck.backend.docker_sdk import DockerBackend

    # one client for every engine (unix socket, TCP, TLS, SSH, contexts): the docker SDK, imported here only
    return DockerBackend(timeout=timeout, project=project, run_id=run_id, background_removal=background_removal)


def connect(*, timeout: float = 120.0, project: Path | None = None, background_removal: bool = True) -> Engine:
    """The engine; EngineUnavailable (one line saying what to do) when none answers. With
    ``background_removal``, its containers are removed in the background while the run goes on. The caller
    must ``backend.close()`` at the end."""
    backend = open_backend(timeout=timeout, project=project, background_removal=background_removal)
    version = backend.ping()
    return Engine(backend, version, backend.host)
