"""The one bounded reader of a container's output (command mode and serve mode alike): an attach made before
the container starts, each stream kept up to a limit, the container killed past it."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from docker.types import CancellableStream


class BoundedOutput:
    """The container's stdout and stderr, read from an attach made before it starts, kept up to ``limit``
    bytes each; past that the container is killed and ``exceeded`` names the stream. Memory stays flat
    whatever the prediction prints, and nothing is left in an engine log file."""

    def __init__(self, api: Any, container: Any, limit: int) -> None:
        self.limit = limit
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.exceeded: str | None = None
        self._container = container
        # api.attach would inspect the container to learn whether it has a tty: ours never has one
        response = api._post(
            api._url("/containers/{0}/attach", container.id),
            headers={"Connection": "Upgrade", "Upgrade": "tcp"},
            params={"stdout": 1, "stderr": 1, "stream": 1, "logs": 0},
            stream=True,
        )
        self._stream = CancellableStream(api._read_from_socket(response, True, tty=False, demux=True), response)
        self._socket: Any = None
        with contextlib.suppress(Exception):  # a silent prediction must not time the stream out
            raw = api._get_raw_response_socket(self._stream._response)
            self._socket = getattr(raw, "_sock", raw)
            api._disable_socket_timeout(raw)
        self._thread = threading.Thread(target=self._pump, name="reprocheck-output", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        try:
            for out, err in self._stream:
                for name, data, buffer in (("stdout", out, self.stdout), ("stderr", err, self.stderr)):
                    if not data or self.exceeded:
                        continue
                    room = self.limit - len(buffer)
                    buffer += data[: max(room, 0)]
                    if len(data) > room:
                        self.exceeded = name
                        # killed from another thread while this one drains the stream: the engine's kill
                        # waits for the container's output to be copied, and nobody else reads it
                        threading.Thread(target=self._kill, name="reprocheck-kill", daemon=True).start()
        except Exception:  # the stream closes when the container is removed
            return

    def _kill(self) -> None:
        with contextlib.suppress(Exception):
            self._container.kill()

    def finish(self, wait: float = 30.0) -> None:
        self._thread.join(wait)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._stream.close()
        self._thread.join(5.0)
        # the upgraded connection is never returned to the pool: close its socket ourselves
        with contextlib.suppress(Exception):
            self._socket.close()
        with contextlib.suppress(Exception):
            self._stream._response.close()
