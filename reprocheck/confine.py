"""The trust boundary: every path a project's configuration names is resolved here, symlinks followed, and
refused when it leaves the project.

``smoke`` runs the project's own code (in CI, often a pull request's), so a spec is hostile input: an
``inputs`` entry that is a symlink to the Docker socket, a ``golden`` of ``../../etc/x`` that ``record``
would overwrite, a directory input holding a link to ``/etc``. ``ProjectRoot`` is the one place that decides
what may be read, written or mounted; the sandbox is built only from paths it returned.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Fail = Callable[[str], Exception]

ROOT_USERS = ("0", "root")


class Refused(ValueError):
    """A path leaves the project, or is of a kind that is never mounted."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


@dataclass(frozen=True)
class ProjectRoot:
    """The directory of a project (where its config file is), fully resolved."""

    path: Path

    @classmethod
    def of(cls, directory: Path) -> ProjectRoot:
        return cls(Path(os.path.realpath(directory)))

    def contains(self, path: Path) -> bool:
        return path == self.path or self.path in path.parents

    def resolve(self, value: str | Path, base: Path | None = None) -> Path:
        """``value`` (relative to ``base``, by default the root) with every symlink followed; Refused when the
        result is outside the project. A path that does not exist yet is resolved as far as it exists."""
        raw = Path(value)
        candidate = raw if raw.is_absolute() else (base or self.path) / raw
        try:
            real = Path(os.path.realpath(candidate, strict=False))
        except (OSError, RuntimeError) as exc:  # a symlink loop
            raise Refused(f"`{value}` cannot be resolved: {exc}") from None
        if not self.contains(real):
            raise Refused(f"`{value}` resolves outside the project (to {real})")
        return real

    def path_of(self, value: str, fail: Fail, base: Path | None = None, must: str | None = None) -> Path:
        """``resolve`` for a config key: ``fail(message)`` makes the error (file:line: key: message);
        ``must`` is "file", "dir" or "exists" when the path must already be there."""
        try:
            real = self.resolve(value, base)
        except Refused as exc:
            raise fail(str(exc)) from None
        if must == "file" and not real.is_file():
            raise fail(f"`{value}` does not exist" if not real.exists() else f"`{value}` is not a regular file")
        if must == "dir" and not real.is_dir():
            raise fail(f"`{value}` is not a directory")
        if must == "exists" and not real.exists():
            raise fail(f"`{value}` does not exist")
        return real

    def mountable(self, value: str, fail: Fail) -> Path:
        """A path that may be bind-mounted (read-only) into the sandbox: inside the project, a regular file
        or a directory, and a directory holds no link that leaves the project and no special file."""
        real = self.path_of(value, fail, must="exists")
        mode = real.stat().st_mode
        if stat.S_ISREG(mode):
            return real
        if not stat.S_ISDIR(mode):
            raise fail(f"`{value}` is {_kind(mode)}: only regular files and directories are mounted")
        for dirpath, dirnames, filenames in os.walk(real):
            for name in (*dirnames, *filenames):
                entry = Path(dirpath) / name
                shown = f"{value.rstrip('/')}/{entry.relative_to(real).as_posix()}"
                st = entry.lstat()
                if stat.S_ISLNK(st.st_mode):
                    try:
                        self.resolve(entry)
                    except Refused:
                        raise fail(
                            f"`{shown}` is a link that resolves outside the project (to {os.path.realpath(entry)})"
                        ) from None
                elif not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
                    raise fail(f"`{shown}` is {_kind(st.st_mode)}: only regular files and directories are mounted")
        return real


def is_root_user(user: str) -> bool:
    """``user`` names uid 0 as the runtime reads it, without the image (``0``, ``00``, ``+0``, ``-0``,
    ``0:1000``, ``root``, ``:1000``); a name may be uid 0 in the image too (``model.users.decide``)."""
    from reprocheck.model.users import is_root_spec

    return is_root_spec(user)


def project_root_for(start: Path) -> Path:
    """The root of the project ``start`` is in: the directory of its config file (where a smoke spec's paths
    start), else ``start`` itself. The same directory names the project's objects on the engine."""
    from reprocheck.lint.config import find_config

    config = find_config(start.resolve())
    return (config.parent if config is not None else start).resolve()
