"""Find the files to lint under the given paths."""

from __future__ import annotations

import enum
import fnmatch
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from reprocheck.errors import UsageError
from reprocheck.model.deps import DepKind
from reprocheck.parsing.depfiles import dep_kind_of

DOCKERFILE_NAME = re.compile(r"^(dockerfile|containerfile)([._-].*)?$|\.(dockerfile|containerfile)$", re.IGNORECASE)
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "site-packages",
        ".venv",
        "venv",
        ".eggs",
        ".direnv",
    }
)


class FileKind(enum.StrEnum):
    DOCKERFILE = "dockerfile"
    DEPENDENCIES = "dependencies"


@dataclass(frozen=True, slots=True)
class Target:
    """A file to lint: ``path`` is what findings show, ``fs_path`` where to read it (None for stdin)."""

    path: str
    kind: FileKind
    fs_path: Path | None
    dep_kind: DepKind | None = None
    root: Path | None = None  # the directory given on the command line that this file was found under


def kind_of(path: str) -> tuple[FileKind, DepKind | None] | None:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    if DOCKERFILE_NAME.search(name):
        return FileKind.DOCKERFILE, None
    dep = dep_kind_of(path)
    if dep is not None:
        return FileKind.DEPENDENCIES, dep
    return None


def _is_virtualenv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file() or (path / "conda-meta").is_dir()


def _excluded(rel: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(rel, p.rstrip("/") + "/*") for p in patterns)


def _walk(root: Path, shown: str, exclude: Sequence[str]) -> Iterator[Target]:
    """Files under ``root`` (an absolute path); ``shown`` is how the user named it."""
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        rel_dir = base.relative_to(root).as_posix()
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in SKIP_DIRS
            and not _is_virtualenv(base / d)
            and not _excluded(d if rel_dir == "." else f"{rel_dir}/{d}", exclude)
        )
        for name in sorted(filenames):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            kinds = kind_of(rel)
            if kinds is None or _excluded(rel, exclude):
                continue
            display = rel if shown in (".", "") else f"{shown.rstrip('/')}/{rel}"
            yield Target(display, kinds[0], base / name, kinds[1], root)


def discover(paths: Sequence[str], exclude: Sequence[str] = (), stdin_filename: str | None = None) -> list[Target]:
    """Expand files and directories into targets. A path that does not exist is a usage error."""
    out: list[Target] = []
    seen: set[str] = set()
    for given in paths:
        if given == "-":
            name = stdin_filename or "Dockerfile"
            kinds = kind_of(name) or (FileKind.DOCKERFILE, None)
            out.append(Target(name, kinds[0], None, kinds[1]))
            continue
        p = Path(given)
        if p.is_dir():
            for t in _walk(p.resolve(), given, exclude):
                if t.path not in seen:
                    seen.add(t.path)
                    out.append(t)
        elif p.is_file():
            if given not in seen:
                seen.add(given)
                kinds = kind_of(given) or (FileKind.DOCKERFILE, None)
                out.append(Target(given, kinds[0], p, kinds[1]))
        else:
            raise UsageError("no such file or directory", path=given)
    return out
