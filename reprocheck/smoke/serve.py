"""Serve mode is a method of the backend (``ContainerBackend.serve``, in ``reprocheck.backend.serve``); this
module turns a smoke spec's ``ServeSpec`` into the backend's plain ``ServeRequest``."""

from __future__ import annotations

from reprocheck.backend.http import ServeRequest
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
