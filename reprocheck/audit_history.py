"""``audit --history FILE``: one JSON line per audit run (time, commit, per-project counts), and the trend the
HTML report draws from it.

The file is the team's own (usually a CI cache or an artifact carried from run to run), but it is read as any
input is: a line that is not what an audit wrote (too long, not an object, nested deeper than a record is) is
skipped, never a crash, and only the last ``KEEP`` runs are read.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reprocheck.errors import UsageError
from reprocheck.model.audit import Row

KEEP = 200  # runs shown in the trend
MAX_LINE = 4 << 20  # bytes of one run's line (about 30,000 projects)
MAX_FILE = 256 << 20


@dataclass(frozen=True)
class Run:
    """One recorded audit: when, at which commit, and the totals the trend draws."""

    time: str
    commit: str | None
    projects: int
    findings: int
    errors: int
    installs: int
    pinned: int
    failing: int

    @property
    def pinned_share(self) -> float:
        return self.pinned / self.installs if self.installs else 0.0


def _commit(root: str) -> str | None:
    for var in ("GITHUB_SHA", "CI_COMMIT_SHA", "BUILD_SOURCEVERSION", "GIT_COMMIT"):
        value = os.environ.get(var, "")
        if len(value) >= 7 and all(c in "0123456789abcdef" for c in value.lower()):
            return value.lower()
    try:
        done = subprocess.run(
            ["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    out = done.stdout.strip()
    return out if done.returncode == 0 and len(out) in (40, 64) else None


def entry(rows: Sequence[Row], root: str) -> dict[str, Any]:
    """The line one run appends."""
    return {
        "version": 1,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": _commit(root),
        "projects": {
            r.project: {
                "errors": r.errors,
                "warnings": r.warnings,
                "info": r.info,
                "installs": r.installs,
                "pinned": r.pinned,
                "verdict": r.verdict,
            }
            for r in rows
        },
    }


def append(path: str, rows: Sequence[Row], root: str) -> None:
    """Append this run's line (one write of one line: concurrent appenders do not interleave)."""
    line = json.dumps(entry(rows, root), sort_keys=True, separators=(",", ":")) + "\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
    except OSError as exc:  # a FIFO without a reader, a link, a directory
        raise UsageError(f"cannot append to the history file: {exc.strerror}", path=path) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UsageError("the history file is not a regular file", path=path)
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def _run(data: Any) -> Run | None:
    if not isinstance(data, dict) or not isinstance(data.get("projects"), dict):
        return None
    totals = dict.fromkeys(("errors", "warnings", "info", "installs", "pinned"), 0)
    failing = 0
    for counts in data["projects"].values():
        if not isinstance(counts, dict):
            return None
        for key in totals:
            value = counts.get(key, 0)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << 40:
                return None
            totals[key] += value
        failing += counts.get("verdict") != "pass"
    commit = data.get("commit")
    return Run(
        time=str(data.get("time", "?"))[:32],
        commit=commit[:40] if isinstance(commit, str) else None,
        projects=len(data["projects"]),
        findings=totals["errors"] + totals["warnings"] + totals["info"],
        errors=totals["errors"],
        installs=totals["installs"],
        pinned=totals["pinned"],
        failing=failing,
    )


def read(path: str) -> tuple[list[Run], int]:
    """(the last KEEP runs, lines skipped). A missing file is no history; a special file is refused."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except FileNotFoundError:
        return [], 0
    except OSError as exc:
        raise UsageError(f"cannot read the history file: {exc.strerror}", path=path) from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise UsageError("the history file is not a regular file", path=path)
        size = os.fstat(fh.fileno()).st_size
        if size > MAX_FILE:
            fh.seek(size - MAX_FILE)
            fh.readline()  # a partial first line
        runs: list[Run] = []
        skipped = 0
        for raw in fh:
            if len(raw) > MAX_LINE:
                skipped += 1
                continue
            try:
                run = _run(json.loads(raw))
            except (ValueError, RecursionError):
                run = None
            if run is None:
                skipped += bool(raw.strip())
                continue
            runs.append(run)
    return runs[-KEEP:], skipped


__all__ = ["KEEP", "Run", "append", "entry", "read"]
