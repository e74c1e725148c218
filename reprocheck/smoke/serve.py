"""Serve mode is a method of the backend (``ContainerBackend.serve``, in ``reprocheck.backend.serve``); this
module turns a smoke spec's ``ServeSpec`` into the backend's plain ``ServeRequest`` and keeps the old entry
point (``ServeRunner``) working for callers that have not moved yet."""

from __future__ import annotations

from typing import Any

from reprocheck.backend.base import ContainerBackend, Progress, Sandbox
from reprocheck.backend.http import ServeRequest, ServeResult
from reprocheck.smoke.spec import ServeSpec


def serve_request(serve: ServeSpec) -> ServeRequest:
    return ServeRequest(
        port=serve.port,
        path=serve.path,
        method=serve.method,
        body=serve.body,
        headers=serve.headers,
        ready_http=serve.ready_http,
        ready_log=serve.ready_log,
        ready_timeout=serve.ready_timeout,
    )


class ServeRunner:
    def __init__(self, backend: ContainerBackend | Any, progress: Progress) -> None:
        if not hasattr(backend, "serve"):  # the old call passed the backend's docker client
            from reprocheck.backend.docker_sdk import DockerBackend

            wrapped = DockerBackend()
            wrapped._client = backend
            backend = wrapped
        self.backend = backend
        self.progress = progress

    def run(
        self, image: str, serve: ServeSpec, command: tuple[str, ...], sandbox: Sandbox, timeout: float
    ) -> ServeResult:
        return self.backend.serve(image, serve_request(serve), command, sandbox, timeout, self.progress)
