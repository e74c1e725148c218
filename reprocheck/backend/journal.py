"""What a run created on the engine, written down as it is created, so that ``reprocheck clean`` can remove
what a killed run (``kill -9`` mid-build or mid-run) left behind even where labels cannot reach: the classic
builder labels only the final image, so the intermediate images of an interrupted build carry no label.

One small JSON-lines file per run in ``$XDG_CACHE_HOME/reprocheck/runs/``: a header (run, project, pid, host,
engine) then ``{"created"|"removed"|"kept": kind, "id": ...}`` lines. A run that ends with nothing outstanding
has no file; the files of dead runs are read by ``clean``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reprocheck.model.bounded import loads

KINDS = ("container", "image", "network")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reprocheck"


def runs_dir() -> Path:
    return cache_dir() / "runs"


def engine_host() -> str:
    return os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")


@dataclass
class RunState:
    """A run's journal, read back."""

    path: Path
    run: str
    project: str
    pid: int
    host: str
    engine: str
    outstanding: dict[str, list[str]] = field(default_factory=dict)  # kind -> ids created, not removed or kept

    @property
    def alive(self) -> bool:
        """The run's process still runs (on this machine: elsewhere we cannot tell, so assume it does)."""
        if self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    @property
    def empty(self) -> bool:
        return not any(self.outstanding.values())


class Journal:
    """Append-only record of one run's objects; written before and after each create/remove."""

    def __init__(self, run: str, project: str | None) -> None:
        self.run = run
        self.project = project or "none"
        self.path = runs_dir() / f"{run}.jsonl"
        self._open = False
        self._outstanding: dict[str, set[str]] = {k: set() for k in KINDS}
        self._lock = threading.RLock()  # check runs verify's probe beside the prediction: two writers

    def _write(self, entry: dict[str, object]) -> None:  # called with the lock held
        try:
            if not self._open:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                header = {
                    "run": self.run,
                    "project": self.project,
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "engine": engine_host(),
                    "started": time.time(),
                }
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(header) + "\n")
                self._open = True
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry) + "\n")
        except OSError:  # an unwritable cache never stops a check; labels still reach most objects
            return

    def set_project(self, project: str) -> None:
        if not self._open:
            self.project = project

    def created(self, kind: str, object_id: str) -> None:
        with self._lock:
            if object_id and object_id not in self._outstanding[kind]:
                self._outstanding[kind].add(object_id)
                self._write({"created": kind, "id": object_id})

    def removed(self, kind: str, object_id: str) -> None:
        self._settle("removed", kind, object_id)

    def kept(self, kind: str, object_id: str) -> None:
        """Not a leftover: e.g. the layers of an image kept as the smoke cache."""
        self._settle("kept", kind, object_id)

    def _settle(self, how: str, kind: str, object_id: str) -> None:
        """An outstanding object is no longer a leftover (``removed`` or ``kept``): say so, and drop the
        journal once nothing is outstanding."""
        with self._lock:
            if object_id in self._outstanding[kind]:
                self._outstanding[kind].discard(object_id)
                self._write({how: kind, "id": object_id})
                self.close()

    def close(self) -> None:
        """Delete the file as soon as the run has nothing outstanding (so no exit hook is needed)."""
        with self._lock:
            if self._open and not any(self._outstanding.values()):
                with contextlib.suppress(OSError):
                    self.path.unlink()
                self._open = False


MAX_JOURNAL = 1024 * 1024  # a run writes a few hundred bytes per object it creates
MAX_PID = 2**22  # Linux's pid_max at most; os.kill() takes a C int
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_OBJECT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")  # no `/`: it goes into API paths
_VERBS = ("created", "removed", "kept")


class NotAJournal(ValueError):
    """A file in the runs directory that is not what a run writes."""


def read_journal(path: Path) -> bytes:
    """The bytes of the journal at ``path``: a regular file, not a link, opened without waiting (a FIFO
    named ``*.jsonl`` never blocks), at most MAX_JOURNAL bytes; NotAJournal otherwise."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        kind = "a symbolic link" if path.is_symlink() else exc.strerror or type(exc).__name__
        raise NotAJournal(f"cannot be opened ({kind})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotAJournal("is not a regular file")
        if st.st_size > MAX_JOURNAL:
            raise NotAJournal(f"is {st.st_size} bytes, over {MAX_JOURNAL}")
        data = b""
        while len(data) <= MAX_JOURNAL:
            chunk = os.read(fd, MAX_JOURNAL + 1 - len(data))
            if not chunk:
                return data
            data += chunk
        raise NotAJournal(f"grew over {MAX_JOURNAL} bytes")
    finally:
        os.close(fd)


def _header(line: bytes) -> tuple[str, str, int, str, str]:
    doc = loads(line.decode("utf-8"), max_depth=1)
    if not isinstance(doc, dict):
        raise NotAJournal("its first line is not a run's header")
    run, project, pid = doc.get("run"), doc.get("project", "none"), doc.get("pid")
    host, engine = doc.get("host", ""), doc.get("engine", "")
    if not (isinstance(run, str) and _RUN_ID.fullmatch(run)):
        raise NotAJournal("its header names no run")
    if type(pid) is not int or not 0 < pid <= MAX_PID:
        raise NotAJournal(f"its header's pid is not a process id ({str(pid)[:40]})")
    if not all(isinstance(v, str) and len(v) <= 4096 for v in (project, host, engine)):
        raise NotAJournal("its header's project, host or engine is not a string")
    return run, project, pid, host, engine


def _entry(line: bytes) -> tuple[str, str, str]:
    """(verb, kind, id) of one line a run wrote; ValueError for anything else."""
    doc = loads(line.decode("utf-8"), max_depth=1)
    if not isinstance(doc, dict) or len(doc) != 2 or not isinstance(doc.get("id"), str):
        raise ValueError("not an entry")
    verb = next((v for v in _VERBS if v in doc), None)
    if verb is None or doc[verb] not in KINDS or not _OBJECT_ID.fullmatch(doc["id"]):
        raise ValueError("not an entry")
    return verb, doc[verb], doc["id"]


def read_run(path: Path) -> tuple[RunState, int]:
    """The run a journal describes, and how many of its lines were not what a run writes (skipped: a torn
    last line, a foreign one); NotAJournal when the file as a whole is not a journal."""
    lines = read_journal(path).split(b"\n")
    try:
        header = _header(lines[0])
    except (UnicodeDecodeError, NotAJournal):
        raise
    except ValueError as exc:  # not JSON, or nested deeper than a header is
        raise NotAJournal(f"its first line is not a run's header ({str(exc)[:80]})") from None
    state = RunState(path, *header)
    seen: dict[str, dict[str, None]] = {k: {} for k in KINDS}
    skipped = 0
    for line in lines[1:]:
        if not line.strip():
            continue
        try:
            verb, kind, object_id = _entry(line)
        except ValueError:
            skipped += 1
            continue
        if verb == "created":
            seen[kind][object_id] = None
        else:
            seen[kind].pop(object_id, None)
    state.outstanding = {k: list(v) for k, v in seen.items()}
    return state, skipped


def read_runs(directory: Path | None = None, warn: Callable[[str], None] | None = None) -> list[RunState]:
    """The runs whose journals are in ``directory``; a file that is not a journal (a FIFO, a link, binary, a
    line nested deep, a pid of 1e300) is skipped, with one line to ``warn``."""
    out: list[RunState] = []
    folder = directory or runs_dir()
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.jsonl")):
        try:
            state, skipped = read_run(path)
        except (NotAJournal, UnicodeDecodeError) as exc:
            reason = str(exc) if isinstance(exc, NotAJournal) else "is not text"
            if warn is not None:
                warn(f"{path}: skipped: {reason}")
            continue
        if skipped and warn is not None:
            warn(f"{path}: {skipped} line{'s' if skipped != 1 else ''} skipped: not what a run writes")
        out.append(state)
    return out


def describe_runs(runs: Iterable[str], states: Iterable[RunState]) -> list[str]:
    """Whose each run is, for `clean`'s "left alone" line: its process, machine and project (from its journal);
    a run with no journal here is said to be another machine's."""
    known = {s.run: s for s in states}
    out = []
    for run in runs:
        s = known.get(run)
        if s is None:
            out.append(f"run {run} (no journal on this machine: another machine's or another user's)")
        else:
            out.append(f"run {run}: process {s.pid} on {s.host or 'an unknown machine'}, project {s.project}")
    return out
