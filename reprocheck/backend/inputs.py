"""A digest of everything a build reads: the files the context sends (after .dockerignore), the Dockerfile,
build arguments and target. Same digest, same image: a second smoke run reuses it instead of rebuilding."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from reprocheck.engine.dockerignore import DockerIgnore

if TYPE_CHECKING:
    from reprocheck.model.build import ImageSource

DIGEST_VERSION = "1"


def context_files(context: Path, ignore: DockerIgnore) -> list[tuple[str, Path]]:
    """(relative path, path) of the files ``docker build`` sends, sorted."""
    out: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(context):
        base = Path(dirpath)
        rel_dir = base.relative_to(context).as_posix()
        kept = []
        for d in sorted(dirnames):
            rel = d if rel_dir == "." else f"{rel_dir}/{d}"
            # a directory excluded without exceptions below it is skipped whole
            if ignore.excluded_by(rel) is None or any(p.exclusion for p in ignore.patterns):
                kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if ignore.excluded_by(rel) is None:
                out.append((rel, base / name))
    return sorted(out)


def inputs_digest(spec: ImageSource) -> str:
    h = hashlib.sha256()
    h.update(f"reprocheck-inputs-{DIGEST_VERSION}\n".encode())
    h.update(
        json.dumps({"args": dict(sorted(spec.build_args.items())), "target": spec.target}, sort_keys=True).encode()
    )
    h.update(b"\0dockerfile\0" + spec.dockerfile.read_bytes())
    ignore = DockerIgnore.for_context(spec.context, spec.dockerfile)
    for rel, path in context_files(spec.context, ignore):
        h.update(b"\0" + rel.encode() + b"\0" + oct(path.stat().st_mode & 0o111).encode() + b"\0")
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1024 * 1024), b""):
                h.update(block)
    return h.hexdigest()


def image_name(project: str) -> str:
    """``reprocheck/<project>``: a repository name Docker accepts, made from a directory name."""
    name = re.sub(r"[^a-z0-9._-]+", "-", project.lower()).strip("-._") or "project"
    return f"reprocheck/{name}"
