"""Waiting for a server, never in silence, and a server that never became ready explained in its own words:
the address it says it listens on (gunicorn's "Listening at", uvicorn's "running on", waitress's "Serving on",
Flask's "Running on", http.server's "Serving HTTP on"), judged against where it must listen. Used by smoke (in
the container) and record (on the host); ``listen_address`` and ``advice`` are pure."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

_ADDRESS = re.compile(
    r"(?i)(?:listening|running|serving|started|bound|bind)\b[^\n]*?"
    r"(?:https?://)?(?P<host>\[[0-9a-f:]*\]|(?:\d{1,3}\.){3}\d{1,3}|localhost|\*)(?::|\s+port\s+)(?P<port>\d{2,5})\b"
)
LOOPBACK = ("127.", "localhost", "[::1]")


def listen_address(output: str) -> str | None:
    """The last ``host:port`` the server's output says it listens on, or None."""
    found = None
    for m in _ADDRESS.finditer(output):
        found = f"{m.group('host')}:{m.group('port')}"
    return found


def advice(address: str | None, port: int, in_container: bool) -> str:
    """One sentence on what the address says, for the finding or the error."""
    if address is None:
        return "its output names no address it listens on"
    host, _, heard = address.rpartition(":")
    if heard != str(port):
        return f"it says it listens on {address}, but the spec's `port` is {port}: make them agree"
    if in_container and host.startswith(LOOPBACK):
        return (
            f"it listens on {address}, inside the container only, which nothing outside can reach: bind 0.0.0.0 "
            f"(gunicorn --bind 0.0.0.0:{port}, uvicorn --host 0.0.0.0, flask run --host 0.0.0.0)"
        )
    return f"it says it listens on {address}"


def tail(output: str, lines: int = 12) -> str:
    return "\n".join(output.strip().splitlines()[-lines:]) or "(no output)"


class Ticker:
    """Says every ``every`` seconds that the wait goes on (what is checked, how long is left) until stopped."""

    def __init__(self, say: Callable[[str], None], what: str, limit: float, every: float = 5.0) -> None:
        self.say, self.what, self.limit, self.every = say, what, limit, every
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reprocheck-ready", daemon=True)

    def __enter__(self) -> Ticker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=1)

    def line(self) -> str:
        waited = time.monotonic() - self.started
        left = max(0.0, self.limit - waited)
        return f"waiting for {self.what}: {waited:.0f} s so far, {left:.0f} s left of ready-timeout = {self.limit:g} s"

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.say(self.line())
