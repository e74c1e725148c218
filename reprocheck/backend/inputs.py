"""A digest of everything a build reads: the files the context sends (after .dockerignore), the Dockerfile,
build arguments and target. Same digest, same image: a second smoke run reuses it instead of rebuilding."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from reprocheck.backend.file_digests import FileDigests
from reprocheck.lint.dockerignore import DockerIgnore

if TYPE_CHECKING:
    from reprocheck.model.build import ImageSource

DIGEST_VERSION = "3"  # 3: a regular file contributes its content digest, remembered between runs


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


def _entry_bytes(path: Path, digests: FileDigests) -> Iterator[bytes]:
    """What a context entry contributes to the digest, as the build sends it: a link's target (never what it
    points at: a link to /dev/zero must not be read), a special file's kind and device number, a regular
    file's content digest (remembered between runs). Nothing here can block: FIFOs and devices are never
    opened."""
    st = path.lstat()
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        yield b"link\0" + os.fsencode(os.readlink(path))
    elif stat.S_ISREG(mode):
        yield b"file\0" + oct(mode & 0o111).encode() + b"\0" + digests.sha256(path, st).encode()
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
    digests = FileDigests()
    for rel, path in context_files(spec.context, ignore):
        if rel in skip:
            continue
        h.update(b"\0" + os.fsencode(rel) + b"\0")  # the bytes of the name, as the build sends it
        try:
            for block in _entry_bytes(path, digests):
                h.update(block)
        except OSError as exc:  # unreadable: the build will say so too; the digest must still differ
            h.update(f"unreadable\0{exc.errno}".encode())
    digests.save()
    return h.hexdigest()


NAME_MAX = 64  # of the project's part of an image name: Docker allows 255 for the whole name; people read it


def _separator(match: re.Match[str]) -> str:
    # Docker's path components: [a-z0-9]+ joined by one `.`, one `_`, `__`, or a run of `-`; anything else: `-`
    sep = match.group()
    return sep if sep in (".", "_", "__") or set(sep) == {"-"} else "-"


def image_name(project: str) -> str:
    """``reprocheck/<project>``: a repository name Docker accepts whatever the directory is called (its
    charset, its separators, its length: a long name is cut and ends with a hash of the whole one)."""
    name = re.sub(r"[^a-z0-9]+", _separator, project.lower()).strip("-._") or "project"
    if len(name) > NAME_MAX:
        digest = hashlib.sha256(os.fsencode(project)).hexdigest()[:10]
        name = f"{name[: NAME_MAX - 11].rstrip('-._')}-{digest}"
    return f"reprocheck/{name}"
