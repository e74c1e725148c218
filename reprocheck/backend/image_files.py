"""Small files of an image (``/etc/passwd``, ``/etc/group``) read from a container's archive, links inside
the image followed as the runtime follows them, and bounded in size: what decides who a run is."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import posixpath
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from reprocheck.backend.common import Chunks
from reprocheck.model.bounded import loads

Fetch = Callable[[str], Iterator[bytes]]
Read = Callable[[tuple[str, ...]], Mapping[str, bytes]]
HOPS = 8


def read_file(fetch: Fetch, path: str, limit: int, errors: tuple[type[BaseException], ...]) -> bytes | None:
    """The file at ``path`` (``fetch(path)`` streams the engine's tar of it); None when it is absent, not a
    regular file, larger than ``limit``, or a chain of more than eight links."""
    caught: tuple[type[BaseException], ...] = (tarfile.TarError, *errors)
    for _ in range(HOPS):
        link = None
        try:
            with tarfile.open(fileobj=Chunks(fetch(path)), mode="r|") as tar:
                for member in tar:
                    if member.isfile():
                        if member.size > limit:
                            return None
                        handle = tar.extractfile(member)
                        return handle.read(limit) if handle is not None else None
                    if member.issym():
                        link = member.linkname
                    break
        except caught:
            return None
        if link is None:
            return None
        path = posixpath.normpath(posixpath.join(posixpath.dirname(path), link))
    return None


CACHE_IMAGES = 256  # images whose files are remembered (an image id names its content: never stale)


def _cache_path() -> Path:
    from reprocheck.backend.journal import cache_dir

    return cache_dir() / "image-files.json"


def remembered(read: Read, image_id: str) -> Read:
    """``read``, with what it returned for ``image_id`` remembered in ``$XDG_CACHE_HOME/reprocheck`` (an image
    id is the digest of its content, so the files never change): a reused smoke run whose image has a named
    USER makes no container to read its passwd again. Best effort: a cache that cannot be read or written
    means reading the image."""

    def cached(paths: tuple[str, ...]) -> Mapping[str, bytes]:
        path = _cache_path()
        data: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            raw = loads(path.read_bytes()) if path.stat().st_size < 16 * 1024**2 else {}
            data = raw if isinstance(raw, dict) and raw.get("version") == 1 else {}
        stored = data.get("images")
        images: dict[str, Any] = stored if isinstance(stored, dict) else {}
        known = images.get(f"{image_id}\0{','.join(paths)}")
        if isinstance(known, dict) and all(isinstance(v, str) for v in known.values()):
            with contextlib.suppress(ValueError):
                return {k: base64.b64decode(v) for k, v in known.items()}
        files = read(paths)
        if not image_id or not files:  # nothing read (the engine failed?): read again next time
            return files
        images = dict(list(images.items())[-(CACHE_IMAGES - 1) :])
        images[f"{image_id}\0{','.join(paths)}"] = {k: base64.b64encode(v).decode() for k, v in files.items()}
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".image-files-", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump({"version": 1, "images": images}, fh)
                os.replace(tmp, path)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        return files

    return cached
