"""Serve mode's request logic lives in ``reprocheck.backend.http`` (the backend sends it); re-exported here for
``record``, which starts the server on the host and asks it the same way."""

from __future__ import annotations

from reprocheck.backend.http import ServeResult, http_ready, port_open, send_request, wait_port_free

__all__ = ["ServeResult", "http_ready", "port_open", "send_request", "wait_port_free"]
