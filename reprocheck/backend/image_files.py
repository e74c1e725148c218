"""Small files of an image (``/etc/passwd``, ``/etc/group``) read from a container's archive, links inside
the image followed as the runtime follows them, and bounded in size: what decides who a run is."""

from __future__ import annotations

import posixpath
import tarfile
from collections.abc import Callable, Iterator

from reprocheck.backend.engine_api import Chunks

Fetch = Callable[[str], Iterator[bytes]]
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
