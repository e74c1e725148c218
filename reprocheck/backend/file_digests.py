"""SHA-256 of context files, remembered between runs by what the file system says about them.

A reused-image smoke run hashes the whole build context to find the image; a context with a few wheels is
tens of megabytes, read and hashed on every run although nothing changed. The digest of a regular file is
kept in ``$XDG_CACHE_HOME/reprocheck/file-digests.json`` under its real path with its device, inode, size,
mtime and ctime (ctime cannot be set back by a user, so an edit that restores the mtime still misses).
A file changed within the last two seconds is hashed and not remembered: its mtime may not yet tell a
second write from the first (git's "racy clean" problem). The cache is only a shortcut: unreadable,
corrupt or concurrent writes of it mean hashing again, never a wrong answer on the file's side.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

from reprocheck.backend.journal import cache_dir

MAX_ENTRIES = 20_000
RACY_SECONDS = 2.0
_VERSION = 1


def cache_path() -> Path:
    return cache_dir() / "file-digests.json"


def _key(st: os.stat_result) -> list[int]:
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


class FileDigests:
    """Digests of regular files; ``save()`` writes back what was learnt (atomically, best effort)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_path()
        self.entries: dict[str, list[object]] = {}
        self.hits = self.misses = 0
        self._dirty = False
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(self.path.read_bytes())
            if isinstance(data, dict) and data.get("version") == _VERSION and isinstance(data.get("files"), dict):
                self.entries = data["files"]

    def sha256(self, path: Path, st: os.stat_result) -> str:
        """The file's content digest (hex); ``st`` is its lstat, taken by the caller."""
        name = os.path.realpath(path)
        key = _key(st)
        known = self.entries.get(name)
        if isinstance(known, list) and len(known) == 2 and known[0] == key and isinstance(known[1], str):
            self.hits += 1
            return known[1]
        self.misses += 1
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1024 * 1024), b""):
                h.update(block)
        digest = h.hexdigest()
        after = os.lstat(path)
        recent = time.time() - max(after.st_mtime, after.st_ctime) < RACY_SECONDS
        if _key(after) == key and not recent:  # unchanged while read, and not racy: remember it
            self.entries.pop(name, None)
            self.entries[name] = [key, digest]
            self._dirty = True
        return digest

    def save(self) -> None:
        if not self._dirty:
            return
        entries = self.entries
        if len(entries) > MAX_ENTRIES:  # oldest learnt first (insertion order): keep the newest
            entries = dict(list(entries.items())[-MAX_ENTRIES:])
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".file-digests-", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump({"version": _VERSION, "files": entries}, fh, separators=(",", ":"))
                os.replace(tmp, self.path)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        self._dirty = False
