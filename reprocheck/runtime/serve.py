"""Serve mode's one call into the engine: start the model server, wait until it is ready, send the request.
(When the backend protocol gains ``serve``, this function becomes that one call.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reprocheck.backend.base import ContainerBackend, Progress, Sandbox
from reprocheck.errors import ConfigError
from reprocheck.smoke.runner import Serve
from reprocheck.smoke.spec import ServeSpec

if TYPE_CHECKING:
    from reprocheck.smoke.http import ServeResult


def server_starter(backend: ContainerBackend) -> Serve:
    """The serve-mode function a ``SmokeRunner`` is given for this backend."""

    def serve(
        image: str, spec: ServeSpec, command: tuple[str, ...], sandbox: Sandbox, timeout: float, progress: Progress
    ) -> ServeResult:
        from reprocheck.smoke.serve import ServeRunner

        client = getattr(backend, "client", None)
        if client is None:
            raise ConfigError("serve mode needs the Docker backend")
        return ServeRunner(client, progress).run(image, spec, command, sandbox, timeout)

    return serve
