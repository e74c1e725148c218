"""Dependency files in a run: includes followed, sources paired with their locks, inline suppressions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

from reprocheck.model.deps import DependencyFile, DepKind, LockPair
from reprocheck.parsing.depfiles import dep_kind_of

from . import files
from .project import DepLoader

Guard = Callable[[Path, Callable[[], object]], None]


def _unguarded(path: Path, work: Callable[[], object]) -> None:
    work()


def follow_includes(loader: DepLoader, guard: Guard = _unguarded) -> None:
    """Load the files that loaded requirements files include with ``-r``/``-c``, until none is new. Each
    file's includes are followed under ``guard(path, work)``, which keeps one file's failure its own."""
    done: set[Path] = set()
    while True:
        todo = [p for p in loader.files if p not in done]
        if not todo:
            return
        for path in todo:
            done.add(path)
            guard(path, partial(_load_includes, loader, path))


def _load_includes(loader: DepLoader, path: Path) -> None:
    f = loader.files[path]
    root = loader.roots.get(path)
    for _, rel in (*f.includes, *f.constraints):
        if "://" in rel or "$" in rel or "\0" in rel:
            continue
        target = files.real(path.parent / rel)
        if target is None or not files.exists(target) or files.is_dir(target):
            continue  # a missing include (or a directory) is pip's error at install time, not a file to lint
        kind = dep_kind_of(target.name) or (DepKind.REQUIREMENTS_IN if rel.endswith(".in") else DepKind.REQUIREMENTS)
        loader.load(target, kind, shown=loader.name(target), root=root if root is not None else path.parent)


def lock_pairs(loader: DepLoader, guard: Guard = _unguarded) -> list[LockPair]:
    """Each lock with the source it was made from, when that source is beside it (or named in its header)."""
    pairs: list[LockPair] = []
    for path in list(loader.files):
        guard(path, partial(_pair_of, loader, path, pairs))
    return pairs


def _pair_of(loader: DepLoader, path: Path, pairs: list[LockPair]) -> None:
    lock = loader.files[path]
    root = loader.roots.get(path)
    source_paths: list[Path] = []
    if lock.kind in (DepKind.UV_LOCK, DepKind.POETRY_LOCK):
        source_paths = [path.with_name("pyproject.toml")]
    elif lock.kind is DepKind.PIPFILE_LOCK:
        source_paths = [path.with_name("Pipfile")]
    elif lock.kind is DepKind.REQUIREMENTS:
        named = [n for n in lock.sources if not n.endswith(("pyproject.toml", "setup.cfg", "setup.py"))]
        for name in named:
            for base in (path.parent, *list(path.parents)[:3]):
                candidate = base / name
                if files.exists(candidate) and files.within(candidate, root):
                    source_paths.append(candidate)
                    break
        if not named and path.suffix == ".txt":
            source_paths = [path.with_suffix(".in")]
    for sp in source_paths:
        if not files.exists(sp) or files.is_dir(sp) or files.real(sp) == path:
            continue
        kind = DepKind.REQUIREMENTS_IN if lock.kind is DepKind.REQUIREMENTS else None
        source = loader.load(sp, kind, shown=loader.name(sp), root=root if root is not None else path.parent)
        if source is None:
            continue
        real = files.real(sp)
        if kind is DepKind.REQUIREMENTS_IN and source.kind is not DepKind.REQUIREMENTS_IN and real is not None:
            # a .txt compiled into another file is a source, not something installed as written
            source = replace(source, kind=DepKind.REQUIREMENTS_IN)
            loader.files[real] = source
        if source.kind in (DepKind.PYPROJECT, DepKind.PIPFILE, DepKind.REQUIREMENTS_IN):
            pairs.append(LockPair(source, lock))


def read_text(path: Path) -> str:
    data = files.read_file(path)
    return "" if isinstance(data, files.Unreadable) else data.decode("utf-8", errors="replace")


def is_source(f: DependencyFile) -> bool:
    return f.kind in (DepKind.REQUIREMENTS_IN, DepKind.PYPROJECT, DepKind.PIPFILE)
