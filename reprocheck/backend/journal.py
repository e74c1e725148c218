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
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

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
        with self._lock:
            if object_id in self._outstanding[kind]:
                self._outstanding[kind].discard(object_id)
                self._write({"removed": kind, "id": object_id})
                self.close()

    def kept(self, kind: str, object_id: str) -> None:
        """Not a leftover: e.g. the layers of an image kept as the smoke cache."""
        with self._lock:
            if object_id in self._outstanding[kind]:
                self._outstanding[kind].discard(object_id)
                self._write({"kept": kind, "id": object_id})
                self.close()

    def close(self) -> None:
        """Delete the file as soon as the run has nothing outstanding (so no exit hook is needed)."""
        with self._lock:
            if self._open and not any(self._outstanding.values()):
                with contextlib.suppress(OSError):
                    self.path.unlink()
                self._open = False


def read_runs(directory: Path | None = None) -> list[RunState]:
    out: list[RunState] = []
    folder = directory or runs_dir()
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.jsonl")):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
            header = json.loads(lines[0])
            state = RunState(
                path,
                str(header["run"]),
                str(header.get("project", "none")),
                int(header.get("pid", 0)),
                str(header.get("host", "")),
                str(header.get("engine", "")),
            )
            seen: dict[str, dict[str, None]] = {k: {} for k in KINDS}
            for line in lines[1:]:
                entry = json.loads(line)
                if "created" in entry and entry["created"] in seen:
                    seen[entry["created"]][str(entry["id"])] = None
                for verb in ("removed", "kept"):
                    if verb in entry and entry[verb] in seen:
                        seen[entry[verb]].pop(str(entry["id"]), None)
            state.outstanding = {k: list(v) for k, v in seen.items()}
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            continue  # a torn or foreign file: ignore it
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
