"""What every talk with the engine needs beside the docker SDK's client (``docker_sdk``): the hint when no
engine answers, a file object over streamed chunks, an image inspection as plain data, and the last check on
what is bind-mounted."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator, Mapping
from typing import Any

from reprocheck.backend.base import BindMount, ImageInfo
from reprocheck.errors import ConfigError

_FORBIDDEN_SOURCES = ("/proc", "/sys", "/dev", "/run", "/var/run", "/boot")


def engine_hint(host: str) -> str:
    return (
        f"no Docker engine answers at {host}. Start one (dockerd, Docker Desktop, colima...) or point DOCKER_HOST "
        "at one (unix:///var/run/docker.sock, tcp://host:2376, ssh://user@host); `reprocheck lint` needs none"
    )


class Chunks(io.RawIOBase):
    """A file object over an iterator of byte chunks, for tarfile's streaming mode."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(b), len(self._buffer))
        b[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def image_info(attrs: Mapping[str, Any]) -> ImageInfo:
    """An image inspection (``GET /images/{name}/json``) as plain data."""
    config = attrs.get("Config") or {}
    return ImageInfo(
        id=str(attrs.get("Id", "")),
        tags=tuple(attrs.get("RepoTags") or ()),
        repo_digests=tuple(attrs.get("RepoDigests") or ()),
        user=str(config.get("User") or ""),
        workdir=str(config.get("WorkingDir") or ""),
        env=tuple(config.get("Env") or ()),
        entrypoint=tuple(config.get("Entrypoint") or ()),
        cmd=tuple(config.get("Cmd") or ()),
        labels=dict(config.get("Labels") or {}),
        created=str(attrs.get("Created", "")),
        architecture=str(attrs.get("Architecture", "")),
        os=str(attrs.get("Os", "")),
        layers=tuple((attrs.get("RootFS") or {}).get("Layers") or ()),
    )


def check_mounts(mounts: tuple[BindMount, ...]) -> None:
    """The last line of defence: only regular files and directories are ever bind-mounted, never the
    engine's socket, devices, or the host's /proc, /sys, /dev, /run."""
    for m in mounts:
        real = os.path.realpath(m.source)
        try:
            mode = os.stat(real).st_mode
        except OSError as exc:
            raise ConfigError(f"cannot mount `{m.source}`: {exc.strerror}") from None
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)) or real == "/":
            raise ConfigError(f"refused to mount `{m.source}`: only regular files and directories are mounted")
        if any(real == p or real.startswith(p + "/") for p in _FORBIDDEN_SOURCES):
            raise ConfigError(f"refused to mount `{m.source}` ({real}): a host system path")
