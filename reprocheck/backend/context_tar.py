"""The build context sent to the classic builder, packed here instead of by the docker SDK.

The SDK's own ``tar(path)`` matches .dockerignore patterns with regular expressions that backtrack: the project
writes those patterns, and ``**/`` twelve times then ``x`` made it walk for hours before the build was sent
(docker builds the same context in 0.3 s). Here the files come from ``context_files`` and the linear matcher
of ``reprocheck.lint.dockerignore``; the archive is made by the SDK's own ``create_archive`` (same entries,
modes and times as before), with what the SDK adds: the Dockerfile always sent, and a Dockerfile outside the
context put in under a random name that the archive's .dockerignore hides (the engine removes both).
As ``docker build`` without BuildKit, only the context's ``.dockerignore`` is read.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import IO

from docker.utils.build import create_archive

from reprocheck.backend.inputs import context_files
from reprocheck.lint.dockerignore import DockerIgnore


def context_archive(context: Path, dockerfile: Path) -> tuple[IO[bytes], str]:
    """(the context as an uncompressed tar, the Dockerfile's name in it)."""
    root = context.resolve()
    ignore = DockerIgnore.in_context(root)
    text = ignore.text
    kept = {rel for rel, _ in context_files(root, ignore)}
    directories: set[str] = set()
    for dirpath, dirnames, _ in os.walk(root):  # every directory not excluded, empty ones too
        base = Path(dirpath).relative_to(root).as_posix()
        for d in list(dirnames):
            rel = d if base == "." else f"{base}/{d}"
            if ignore.excluded_by(rel) is None:
                directories.add(rel)
            elif not any(p.exclusion for p in ignore.patterns):
                dirnames.remove(d)
    extra: list[tuple[str, str]] = []
    try:
        name = dockerfile.resolve().relative_to(root).as_posix()
        if (root / name).is_file() and not (root / name).is_symlink():
            kept.add(name)  # sent even when .dockerignore names it, as the SDK and the CLI do
    except ValueError:  # outside the context: sent under a name the engine removes after reading it
        name = f".dockerfile.{secrets.token_hex(20)}"
        hide = "\n".join([*(text.splitlines() if text is not None else [".dockerignore"]), name])
        extra = [(".dockerignore", hide), (name, dockerfile.read_text())]
    files = sorted(kept | {d for d in directories if os.path.isdir(root / d) and not os.path.islink(root / d)})
    return create_archive(root=str(root), files=files, extra_files=extra), name
