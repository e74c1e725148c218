"""Dependency files: sources (requirements.in, pyproject.toml, Pipfile, environment.yml) and locks
(compiled requirements, uv.lock, poetry.lock, Pipfile.lock, conda-lock), in one shape the rules can judge."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import field
from typing import NamedTuple

from reprocheck.model._node import Node, node
from reprocheck.model.dockerfile import ParseIssue
from reprocheck.model.install import PackageSpec


class DepKind(enum.StrEnum):
    REQUIREMENTS = "requirements"  # requirements*.txt, constraints*.txt
    REQUIREMENTS_IN = "requirements-in"  # pip-compile sources (*.in)
    PYPROJECT = "pyproject"
    UV_LOCK = "uv-lock"
    POETRY_LOCK = "poetry-lock"
    PIPFILE = "pipfile"
    PIPFILE_LOCK = "pipfile-lock"
    CONDA_ENV = "conda-env"
    CONDA_LOCK = "conda-lock"  # conda-lock.yml (unified) and @EXPLICIT lists

    @property
    def is_lock(self) -> bool:
        return self in (DepKind.UV_LOCK, DepKind.POETRY_LOCK, DepKind.PIPFILE_LOCK, DepKind.CONDA_LOCK)


@node
class Dependency(Node):
    """One entry of a dependency file: what is asked for, on which line.

    ``manager`` is ``pip`` or ``conda``; ``group`` is ``""`` for the main dependencies, ``extra:NAME`` for an
    optional-dependencies extra, else the dependency group or section (``dev``, ``develop``, ``pip``);
    ``hashes`` are ``algo:hex`` strings.
    """

    spec: PackageSpec
    line: int
    manager: str = "pip"
    group: str = ""
    marker: str | None = None
    hashes: tuple[str, ...] = ()
    editable: bool = False
    specifier: str = ""  # PEP 440 specifier set for sources ("" = any); "||" separates alternatives

    @property
    def name(self) -> str:
        return self.spec.name


@node
class LockedFile(Node):
    """A distribution file a lock records: its name (wheel or sdist) and hash."""

    filename: str
    hash: str | None = None


class Edge(NamedTuple):
    """A dependency edge of a lock: to ``name`` (at ``version`` when the lock holds several), when ``marker``
    holds, with ``extras``."""

    name: str
    marker: str | None = None
    extras: tuple[str, ...] = ()
    version: str | None = None


@node
class LockedPackage(Node):
    """One package of a lock. ``source`` is ``registry``, ``git``, ``url``, ``path``, ``editable``,
    ``virtual`` or ``directory``; ``marker`` says where the entry applies (uv's resolution-markers)."""

    name: str
    version: str
    line: int
    source: str = "registry"
    files: tuple[LockedFile, ...] = ()
    hashes: tuple[str, ...] = ()
    marker: str | None = None
    dependencies: tuple[Edge, ...] = ()
    optional: Mapping[str, tuple[Edge, ...]] = field(default_factory=dict)
    groups: tuple[str, ...] = ()  # categories / groups the package belongs to (poetry, Pipfile.lock)
    manager: str = "pip"
    platform: str | None = None  # conda subdir (linux-64) for conda locks


@node
class FileOption(Node):
    """A file-level option in a requirements file (``--index-url``, ``--extra-index-url``...)."""

    line: int
    name: str
    value: str


@node
class DependencyFile(Node):
    path: str
    kind: DepKind
    dependencies: tuple[Dependency, ...] = ()
    locked: tuple[LockedPackage, ...] = ()
    options: tuple[FileOption, ...] = ()
    includes: tuple[tuple[int, str], ...] = ()  # -r FILE (line, path as written)
    constraints: tuple[tuple[int, str], ...] = ()  # -c FILE
    python: str | None = None  # the Python the file was made for: "3.11" or a specifier such as ">=3.10"
    python_line: int = 1
    content_hash: str | None = None  # poetry content-hash, Pipfile.lock _meta.hash.sha256
    content_hash_line: int = 1
    generator: str | None = None  # "pip-compile", "uv pip compile", "Poetry 1.8.3", "pipenv"...
    sources: tuple[str, ...] = ()  # for compiled files: the source files named in the header
    channels: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()  # conda-lock platforms
    raw: Mapping[str, object] = field(default_factory=dict)  # the parsed document, for hash checks
    issues: tuple[ParseIssue, ...] = ()

    @property
    def is_lock(self) -> bool:
        if self.kind.is_lock:
            return True
        if self.kind is DepKind.REQUIREMENTS:
            return self.generator is not None or self.is_pinned
        return False

    @property
    def is_pinned(self) -> bool:
        """Every registry entry names one version (a compiled lock, or a hand-pinned list)."""
        judged = [d for d in self.dependencies if d.spec.kind.value in ("name", "vcs")]
        return bool(judged) and all(d.spec.pinned for d in judged)

    def locked_by_name(self) -> dict[str, list[LockedPackage]]:
        """Canonical name -> the lock's entries of that name (uv may hold one per platform or index)."""
        from reprocheck.model.names import canonical

        out: dict[str, list[LockedPackage]] = {}
        for p in self.locked:
            out.setdefault(canonical(p.name), []).append(p)
        return out


@node
class LockPair(Node):
    """A source and the lock made from it (requirements.in -> .txt, pyproject.toml -> uv.lock/poetry.lock,
    Pipfile -> Pipfile.lock)."""

    source: DependencyFile
    lock: DependencyFile
