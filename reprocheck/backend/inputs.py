"""A digest of everything a build reads: the files the context sends (after .dockerignore), the Dockerfile,
build arguments and target. Same digest, same image: a second smoke run reuses it instead of rebuilding.

Hashing a context of wheels and models on every run costs more than the rest of a reused smoke run, so each
regular file's digest is kept in ``$XDG_CACHE_HOME/reprocheck/digests/`` under its (size, mtime, ctime, inode,
device, mode): a file changed in any way the file system records is hashed again. A file changed within the
last seconds is never cached (its mtime could still move within one clock tick: git's "racy" case)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reprocheck.engine.dockerignore import DockerIgnore

if TYPE_CHECKING:
    from reprocheck.model.build import ImageSource

DIGEST_VERSION = "3"  # 3: one sub-digest per entry, so that regular files' digests can be cached
RACY_NS = 2_000_000_000  # a file changed this recently is hashed, never cached
MAX_CACHE_BYTES = 32 * 1024 * 1024


def context_files(context: Path, ignore: DockerIgnore) -> list[tuple[str, Path]]:
    """(relative path, path) of the files ``docker build`` sends, sorted. Symlinks (to files or directories,
    dangling or not) are entries of their own, never followed: the build sends them as links."""
    out: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(context):
        base = Path(dirpath)
        rel_dir = base.relative_to(context).as_posix()
        kept = []
        for d in sorted(dirnames):
            rel = d if rel_dir == "." else f"{rel_dir}/{d}"
            if (base / d).is_symlink():  # os.walk lists links to directories here and does not descend
                if ignore.excluded_by(rel) is None:
                    out.append((rel, base / d))
                continue
            # a directory excluded without exceptions below it is skipped whole
            if ignore.excluded_by(rel) is None or any(p.exclusion for p in ignore.patterns):
                kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if ignore.excluded_by(rel) is None:
                out.append((rel, base / name))
    return sorted(out)


def _entry_bytes(path: Path) -> Iterator[bytes]:
    """What a context entry contributes to the digest, as the build sends it: a link's target (never what it
    points at: a link to /dev/zero must not be read), a special file's kind and device number, a regular
    file's content. Nothing here can block: FIFOs and devices are never opened."""
    st = path.lstat()
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        yield b"link\0" + os.fsencode(os.readlink(path))
    elif stat.S_ISREG(mode):
        yield b"file\0" + oct(mode & 0o111).encode() + b"\0"
        with path.open("rb") as fh:
            yield from iter(lambda: fh.read(1024 * 1024), b"")
    elif stat.S_ISSOCK(mode):
        return  # the build skips sockets
    else:  # FIFO, character or block device: sent as a header only
        yield f"special\0{stat.S_IFMT(mode):o}\0{st.st_rdev}".encode()


def inputs_digest(spec: ImageSource, skip: frozenset[str] = frozenset()) -> str:
    """The digest of the build's inputs; ``skip`` lists context paths (relative, posix) left out: files the
    Dockerfile never copies whose changes cannot change the image (a golden output, its environment record)."""
    h = hashlib.sha256()
    h.update(f"reprocheck-inputs-{DIGEST_VERSION}\n".encode())
    h.update(
        json.dumps({"args": dict(sorted(spec.build_args.items())), "target": spec.target}, sort_keys=True).encode()
    )
    h.update(b"\0dockerfile\0" + spec.dockerfile.read_bytes())
    ignore = DockerIgnore.for_context(spec.context, spec.dockerfile)
    cache = DigestCache.for_context(spec.context)
    for rel, path in context_files(spec.context, ignore):
        if rel in skip:
            continue
        h.update(b"\0" + rel.encode() + b"\0" + cache.entry_digest(path).encode())
    cache.save()
    return h.hexdigest()


def _hash_entry(path: Path) -> str:
    e = hashlib.sha256()
    try:
        for block in _entry_bytes(path):
            e.update(block)
    except OSError as exc:  # unreadable: the build will say so too; the digest must still differ
        e.update(f"unreadable\0{exc.errno}".encode())
    return e.hexdigest()


class DigestCache:
    """Regular files' entry digests by their ``stat`` (one JSON file per build context). Only this context's
    files are kept: the file never grows beyond the context. A cache that cannot be read or written is no cache."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.old: dict[str, list[Any]] = {}
        self.new: dict[str, list[Any]] = {}
        self.now = time.time_ns()
        if path is None:
            return
        try:
            with path.open("rb") as fh:
                data = json.loads(fh.read(MAX_CACHE_BYTES + 1))
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("version") == DIGEST_VERSION and isinstance(data.get("files"), dict):
            self.old = data["files"]

    @classmethod
    def for_context(cls, context: Path) -> DigestCache:
        from reprocheck.backend.journal import cache_dir

        key = hashlib.sha256(os.fsencode(os.path.realpath(context))).hexdigest()[:24]
        return cls(cache_dir() / "digests" / f"{key}.json")

    def entry_digest(self, path: Path) -> str:
        try:
            st = path.lstat()
        except OSError:
            return _hash_entry(path)
        if not stat.S_ISREG(st.st_mode):
            return _hash_entry(path)  # links and special files: nothing to read, nothing to keep
        name = str(path)
        key = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev, st.st_mode]
        cached = self.old.get(name)
        if isinstance(cached, list) and len(cached) == 2 and cached[0] == key and isinstance(cached[1], str):
            self.new[name] = cached
            return cached[1]
        digest = _hash_entry(path)
        if max(st.st_mtime_ns, st.st_ctime_ns) < self.now - RACY_NS:
            self.new[name] = [key, digest]
        return digest

    def save(self) -> None:
        if self.path is None or self.new == self.old:
            return
        data = json.dumps({"version": DIGEST_VERSION, "files": self.new}, separators=(",", ":")).encode()
        if len(data) > MAX_CACHE_BYTES:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".digests.", dir=self.path.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            return


def image_name(project: str) -> str:
    """``reprocheck/<project>``: a repository name Docker accepts, made from a directory name."""
    name = re.sub(r"[^a-z0-9._-]+", "-", project.lower()).strip("-._") or "project"
    return f"reprocheck/{name}"
