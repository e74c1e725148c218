"""What the commands that drive a container engine share: progress display, and Ctrl-C/SIGTERM turned into
one exception so that every ``finally`` removes what it created."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class ProgressPrinter:
    """A live single line on a terminal, plain lines in CI logs, nothing when quiet. Always on stderr."""

    def __init__(self, mode: str = "auto") -> None:
        self.mode = mode if mode != "auto" else ("live" if sys.stderr.isatty() else "plain")
        self._live = False

    def __call__(self, message: str) -> None:
        if self.mode == "quiet":
            return
        text = message.strip().replace("\n", " ")
        if self.mode == "live":
            width = 100
            sys.stderr.write("\r\x1b[K" + (text if len(text) <= width else text[: width - 3] + "..."))
            sys.stderr.flush()
            self._live = True
        else:
            sys.stderr.write(f"reprocheck: {text}\n")
            sys.stderr.flush()

    def done(self) -> None:
        if self._live:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self._live = False


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextmanager
def interruptible() -> Iterator[None]:
    """SIGTERM (a cancelled CI job) behaves like Ctrl-C: cleanup code in ``finally`` blocks runs."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
