"""Dependency files in a run: includes followed, sources paired with their locks, inline suppressions."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from reprocheck.model.deps import DependencyFile, DepKind, LockPair
from reprocheck.parsing.depfiles import dep_kind_of

from .project import DepLoader


def follow_includes(loader: DepLoader) -> None:
    """Load the files that loaded requirements files include with ``-r``/``-c``, until none is new."""
    done: set[Path] = set()
    while True:
        todo = [p for p in loader.files if p not in done]
        if not todo:
            return
        for path in todo:
            done.add(path)
            f = loader.files[path]
            for _, rel in (*f.includes, *f.constraints):
                if "://" in rel or "$" in rel:
                    continue
                target = (path.parent / rel).resolve()
                if target.is_file():
                    kind = dep_kind_of(target.name) or (
                        DepKind.REQUIREMENTS_IN if rel.endswith(".in") else DepKind.REQUIREMENTS
                    )
                    loader.load(target, kind)


def lock_pairs(loader: DepLoader) -> list[LockPair]:
    """Each lock with the source it was made from, when that source is beside it (or named in its header)."""
    pairs: list[LockPair] = []
    for path, lock in list(loader.files.items()):
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
                    if candidate.is_file():
                        source_paths.append(candidate)
                        break
            if not named and path.suffix == ".txt":
                source_paths = [path.with_suffix(".in")]
        for sp in source_paths:
            if not sp.is_file() or sp.resolve() == path:
                continue
            kind = DepKind.REQUIREMENTS_IN if lock.kind is DepKind.REQUIREMENTS else None
            source = loader.load(sp, kind)
            if source is None:
                continue
            if kind is DepKind.REQUIREMENTS_IN and source.kind is not DepKind.REQUIREMENTS_IN:
                # a .txt compiled into another file is a source, not something installed as written
                source = replace(source, kind=DepKind.REQUIREMENTS_IN)
                loader.files[sp.resolve()] = source
            if source.kind in (DepKind.PYPROJECT, DepKind.PIPFILE, DepKind.REQUIREMENTS_IN):
                pairs.append(LockPair(source, lock))
    return pairs


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def is_source(f: DependencyFile) -> bool:
    return f.kind in (DepKind.REQUIREMENTS_IN, DepKind.PYPROJECT, DepKind.PIPFILE)
