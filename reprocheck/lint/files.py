"""Reading input files as hostile input: regular files only, up to a size limit, never through a link that
leaves the tree being linted.

Every file the lint engine reads goes through ``read_file``: the files named or discovered, the dependency
files a Dockerfile installs, the ``-r`` includes of a requirements file and the sources of a lock. A FIFO
named ``Dockerfile`` would block ``read()`` forever and a link to ``/dev/zero`` would fill the memory, so the
file is opened with ``O_NONBLOCK`` and checked with ``fstat`` before a byte is read; a link that leads out
of the tree is refused before it is opened, so that nothing of its target (a host secret) can be quoted.
Path checks (``is_file``) go through ``is_regular`` and ``within``, which never raise: a name longer than
the system allows, or one holding a NUL byte, is simply not a file.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from reprocheck.model._value import valueclass

DEFAULT_MAX_FILE_SIZE = 32 * 1024 * 1024  # larger than any real lock (a big uv.lock is ~5 MB)
_CHUNK = 1 << 20


@valueclass(slots=True)
class Unreadable:
    """Why a file was not read, said in a finding on it."""

    message: str


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MiB" if size >= 1024 * 1024 else f"{size} bytes"


def real(path: Path) -> Path | None:
    """The path with every link resolved, or None when it cannot be (a name too long, a NUL byte, a loop)."""
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError):
        return None


def within(path: Path, root: Path | None) -> bool:
    """Whether ``path``, links resolved, stays inside ``root`` (resolved); True when there is no root."""
    if root is None:
        return True
    target, base = real(path), _real_root(root)
    if target is None or base is None:
        return False
    return target == base or base in target.parents


# The trees files are read in are few (the linted directories, build contexts) and each file read resolves
# its own; a tree's resolution is kept for the run (``forget_roots`` at its start), ~2% of a corpus lint.
_ROOTS: dict[Path, Path | None] = {}


def _real_root(root: Path) -> Path | None:
    if root not in _ROOTS:
        if len(_ROOTS) > 4096:
            _ROOTS.clear()
        _ROOTS[root] = real(root)
    return _ROOTS[root]


def forget_roots() -> None:
    """Resolve the trees again from now on (a lint run starts: links may have changed since the last)."""
    _ROOTS.clear()


def _inside(path: str, base: str) -> bool:
    return path == base or path.startswith(base.rstrip(os.sep) + os.sep)


def is_regular(path: Path) -> bool:
    """``Path.is_file()`` that never raises (ENAMETOOLONG, NUL bytes and loops are not files)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def is_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def exists(path: Path) -> bool:
    try:
        os.stat(path)
    except (OSError, ValueError):
        return False
    return True


def is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except (OSError, ValueError):
        return False


def outside(path: Path, root: Path | None) -> Unreadable | None:
    """Why ``read_file`` refuses ``path`` before opening it (it leaves ``root``), or None."""
    if root is None or within(path, root):
        return None
    if _inside(os.path.abspath(path), os.path.abspath(root)):
        return Unreadable("a link to a file outside the linted directory: not followed")
    return Unreadable("outside the linted directory (and its repository): not read")


# Texts read in place of files on disk, by resolved path: ``fix --diff`` lints the text it would write, to
# count what would remain without writing a byte (``overlay``). Empty on every other run.
_OVERLAY: dict[str, bytes] = {}


def overlay(texts: dict[str, bytes]) -> None:
    """From now on ``read_file`` answers these texts (keys: resolved paths of existing files) instead of the
    disk; ``overlay({})`` ends it."""
    _OVERLAY.clear()
    _OVERLAY.update(texts)


def read_file(path: Path, root: Path | None = None, limit: int = DEFAULT_MAX_FILE_SIZE) -> bytes | Unreadable:
    """The bytes of a regular file of at most ``limit`` bytes inside ``root`` (when given), else why not."""
    refused = outside(path, root)
    if refused is not None:
        return refused
    if _OVERLAY:
        text = _OVERLAY.get(os.path.realpath(path))
        if text is not None:
            return text
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except ValueError:
        return Unreadable("cannot read: the name holds a NUL byte")
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return Unreadable("cannot read: the file name is too long")
        return Unreadable(f"cannot read: {exc.strerror or exc}")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return Unreadable(f"not a regular file ({_kind(info.st_mode)}): not read")
        if info.st_size > limit:
            return Unreadable(_too_large(info.st_size, limit))
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:  # the file grew while being read
                return Unreadable(_too_large(total, limit))
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        return Unreadable(f"cannot read: {exc.strerror or exc}")
    finally:
        os.close(fd)


def _too_large(size: int, limit: int) -> str:
    return f"larger than {_mib(limit)} ({_mib(size)}): not read (raise `max-file-size` in [tool.reprocheck] to lint it)"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "a special file"
