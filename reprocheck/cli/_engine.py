"""What the commands that drive a container engine share: progress display, and Ctrl-C/SIGTERM turned into
one exception so that every ``finally`` removes what it created."""

from __future__ import annotations

import shutil
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TextIO

from reprocheck.errors import UsageError
from reprocheck.model.safe import safe_text
from reprocheck.model.text import plain_text
from reprocheck.progress import OutputLine

PROGRESS_MODES = ("auto", "live", "plain", "quiet")


class ProgressPrinter:
    """Progress on stderr, never on stdout (reports go there).

    ``live`` (a terminal): the current step with its elapsed time, ticking, and the last lines of its output
    beneath; a finished step stays as one line with its time. ``plain`` (CI logs): every line as it comes, and
    each build step's time when it ends. ``quiet``: nothing. ``auto``: live on a terminal, else plain."""

    TAIL = 5  # output lines shown under the live step

    def __init__(
        self,
        mode: str = "auto",
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        tick: float | None = 0.25,
    ) -> None:
        if mode not in PROGRESS_MODES:
            raise UsageError(f"--progress: `{mode}` is not a mode (choose from {', '.join(PROGRESS_MODES)})")
        self.stream = stream if stream is not None else sys.stderr
        self.mode = mode if mode != "auto" else ("live" if _isatty(self.stream) else "plain")
        self._clock = clock
        self._lock = threading.RLock()
        self._head: str | None = None  # the current headline
        self._is_step = False  # the headline is a build step: its time is reported when it ends
        self._since = 0.0
        self._tail: deque[str] = deque(maxlen=self.TAIL)
        self._drawn = 0  # lines of the live region on screen
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if self.mode == "live" and tick:
            self._ticker = threading.Thread(target=self._tick_loop, args=(tick,), daemon=True)
            self._ticker.start()

    # ---- the callback

    def __call__(self, message: str) -> None:
        if self.mode == "quiet":
            return
        with self._lock:
            if isinstance(message, OutputLine):
                self._output(safe_text(plain_text(message).rstrip()))
            else:
                self._headline(safe_text(" ".join(plain_text(message).split())))

    def done(self) -> None:
        """The work is over (or interrupted): report the last step's time, clear the live region."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=1)
            self._ticker = None
        if self.mode == "quiet":
            return
        with self._lock:
            self._finish_head()
            self._clear()
            self._head = None
            self.stream.flush()

    # ---- headlines and output

    def _headline(self, text: str) -> None:
        self._finish_head()
        self._head = text
        self._is_step = _is_step(text)
        self._since = self._clock()
        self._tail.clear()
        if self.mode == "plain":
            self._write(f"reprocheck: {text}\n")
        else:
            self._draw()

    def _output(self, line: str) -> None:
        if not line.strip():
            return
        if self.mode == "plain":
            self._write(f"    {line}\n")
            return
        self._tail.append(line)
        self._draw()

    def _finish_head(self) -> None:
        if self._head is None:
            return
        seconds = self._clock() - self._since
        if self.mode == "plain":
            if self._is_step:
                self._write(f"reprocheck: {_step_name(self._head)} done in {seconds:.1f} s\n")
        else:
            self._clear()
            self._write(f"{seconds:6.1f}s {self._fit(self._head, 8)}\n" if self._is_step else f"{self._head}\n")
        self._head = None

    # ---- the live region

    def _tick_loop(self, every: float) -> None:
        while not self._stop.wait(every):
            with self._lock:
                if self._head is not None:
                    self._draw()

    def _draw(self) -> None:
        if self._head is None:
            return
        seconds = self._clock() - self._since
        lines = [f"{seconds:6.1f}s {self._fit(self._head, 8)}"]
        lines += [f"       │ {self._fit(line, 9)}" for line in self._tail]
        self._clear()
        self._write("\n".join(lines))
        self._drawn = len(lines)

    def _clear(self) -> None:
        if self._drawn:
            up = f"\x1b[{self._drawn - 1}A" if self._drawn > 1 else ""
            self._write(f"\r{up}\x1b[J")
            self._drawn = 0

    def _fit(self, text: str, used: int) -> str:
        width = max(20, shutil.get_terminal_size((100, 24)).columns - 1 - used)
        return text if len(text) <= width else text[: width - 1] + "…"

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _is_step(text: str) -> bool:
    """A build step of the classic builder (``Step 3/8 : RUN ...``) or of BuildKit (``#5 [2/3] RUN ...``)."""
    return (text.startswith("Step ") and " : " in text) or (text.startswith("#") and " [" in text[:12])


def _step_name(text: str) -> str:
    """``Step 3/8`` of ``Step 3/8 : RUN ...``; ``#5 [2/3]`` of ``#5 [2/3] RUN ...``."""
    if text.startswith("Step "):
        return text.split(" : ", 1)[0]
    return text.split("]", 1)[0] + "]"


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
