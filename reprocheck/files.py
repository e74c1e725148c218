"""Writing files the way reprocheck promises: whole or not at all, keeping the mode of what was there."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from reprocheck.errors import UsageError


def write_atomic(path: str | Path, data: str | bytes, before_replace: Callable[[], None] | None = None) -> None:
    """Write to a temporary file in the same directory, then rename over the target. ``before_replace``
    runs just before the rename and may raise to leave the target as it is."""
    import tempfile

    target = Path(path)
    try:
        mode = target.stat().st_mode
    except OSError:
        mode = 0
    if mode and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        # a device or a FIFO (`--output /dev/null`, `/dev/stdout`): written to, never replaced by a file
        with open(target, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        return
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError("the output's directory does not exist", path=str(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
