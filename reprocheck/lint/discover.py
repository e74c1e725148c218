"""Find the files to lint under the given paths.

The walk is iterative (a tree 10,000 folders deep is no deeper for it than a flat one), never enters a
linked directory, and judges names only: ``Dockerfile``, ``Dockerfile.gpu``, ``app.dockerfile`` are
Dockerfiles; ``dockerfile.py`` (source code) is not; ``Dockerfile.j2`` is a template, skipped with a note
(it is not a Dockerfile until rendered)."""

from __future__ import annotations

import enum
import fnmatch
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from reprocheck.errors import UsageError
from reprocheck.model._value import valueclass
from reprocheck.model.deps import DepKind
from reprocheck.parsing.depfiles import dep_kind_of

from . import files

DOCKERFILE_NAME = re.compile(r"^(dockerfile|containerfile)([._-].*)?$|\.(dockerfile|containerfile)$", re.IGNORECASE)
# Last extensions that make a Dockerfile-like name something else: source code, documents, data, backups.
SOURCE_EXTENSIONS = frozenset(
    {
        "py",
        "pyi",
        "pyc",
        "pyo",
        "pyx",
        "pxd",
        "ipynb",
        "go",
        "rs",
        "js",
        "mjs",
        "cjs",
        "ts",
        "tsx",
        "jsx",
        "vue",
        "java",
        "kt",
        "kts",
        "scala",
        "groovy",
        "gradle",
        "rb",
        "php",
        "pl",
        "pm",
        "lua",
        "swift",
        "cs",
        "fs",
        "vb",
        "ex",
        "exs",
        "erl",
        "hs",
        "ml",
        "clj",
        "sh",
        "bash",
        "zsh",
        "fish",
        "ps1",
        "psm1",
        "bat",
        "cmd",
        "bzl",
        "bazel",
        "star",
        "md",
        "markdown",
        "rst",
        "adoc",
        "txt",
        "html",
        "htm",
        "css",
        "scss",
        "xml",
        "json",
        "jsonc",
        "yaml",
        "yml",
        "toml",
        "ini",
        "cfg",
        "properties",
        "lock",
        "log",
        "csv",
        "svg",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "ico",
        "pdf",
        "zip",
        "gz",
        "tgz",
        "bz2",
        "xz",
        "tar",
        "whl",
        "egg",
        "bak",
        "orig",
        "rej",
        "swp",
        "tmp",
        "diff",
        "dockerignore",
    }
)
# Template engines: the file becomes a Dockerfile only once rendered.
TEMPLATE_EXTENSIONS = frozenset(
    {
        "j2",
        "jinja",
        "jinja2",
        "tmpl",
        "tpl",
        "template",
        "mustache",
        "hbs",
        "handlebars",
        "erb",
        "ejs",
        "njk",
        "gotmpl",
        "liquid",
        "m4",
    }
)
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
    TEMPLATE = "template"  # a Dockerfile template (Dockerfile.j2): skipped, said once in a note
    CI = "ci"  # a CI configuration (workflow, .gitlab-ci.yml, Jenkinsfile...): its jobs' installs and images


@valueclass(slots=True)
class Target:
    """A file to lint: ``path`` is what findings show, ``fs_path`` where to read it (None for stdin)."""

    path: str
    kind: FileKind
    fs_path: Path | None
    dep_kind: DepKind | None = None
    root: Path | None = None  # the directory given on the command line that this file was found under
    # the tree whose files may be read for this one (links and includes leaving it are refused): the
    # repository holding it, else the linted directory (or, for a file named alone, its directory)
    boundary: Path | None = None


def kind_of(path: str) -> tuple[FileKind, DepKind | None] | None:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    if DOCKERFILE_NAME.search(name):
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext in TEMPLATE_EXTENSIONS:
            return FileKind.TEMPLATE, None
        if ext in SOURCE_EXTENSIONS:
            return None
        return FileKind.DOCKERFILE, None
    dep = dep_kind_of(path)
    if dep is not None:
        return FileKind.DEPENDENCIES, dep
    from .ci_files import is_ci_file

    if is_ci_file(path):
        return FileKind.CI, None
    return None


def _is_virtualenv(path: Path) -> bool:
    return files.is_regular(path / "pyvenv.cfg") or files.is_dir(path / "conda-meta")


def _excluded(rel: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(rel, p.rstrip("/") + "/*") for p in patterns)


def _entries(directory: Path) -> tuple[list[str], list[str]]:
    """(subdirectories, other entries) of a directory, sorted; linked directories are not entered."""
    dirs: list[str] = []
    others: list[str] = []
    try:
        with os.scandir(directory) as it:
            for entry in it:
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    is_dir = False
                (dirs if is_dir else others).append(entry.name)
    except OSError:
        pass  # unreadable directory: nothing to lint in it
    return sorted(dirs), sorted(others)


def _walk(root: Path, shown: str, exclude: Sequence[str]) -> Iterator[Target]:
    """Files under ``root`` (an absolute path); ``shown`` is how the user named it. Depth-first, in name
    order, with an explicit stack."""
    boundary = repository_of(root) or root
    stack: list[tuple[Path, str]] = [(root, ".")]
    while stack:
        base, rel_dir = stack.pop()
        dirnames, filenames = _entries(base)
        for name in filenames:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            kinds = kind_of(rel)
            if kinds is None or _excluded(rel, exclude):
                continue
            display = rel if shown in (".", "") else f"{shown.rstrip('/')}/{rel}"
            yield Target(display, kinds[0], base / name, kinds[1], root, boundary)
        subdirs = [
            d
            for d in dirnames
            if d not in SKIP_DIRS
            and not _is_virtualenv(base / d)
            and not _excluded(d if rel_dir == "." else f"{rel_dir}/{d}", exclude)
        ]
        stack.extend((base / d, d if rel_dir == "." else f"{rel_dir}/{d}") for d in reversed(subdirs))


def repository_of(directory: Path) -> Path | None:
    """The nearest directory at or above ``directory`` that holds ``.git``, or None."""
    for d in (directory, *directory.parents):
        if files.exists(d / ".git"):
            return d
    return None


def _boundary_of(given: Path) -> Path:
    """The tree a file named on the command line may read in (its links, includes and lock sources): its
    repository; outside one, the working directory when the file is under it, else the file's directory."""
    parent = Path(os.path.realpath(Path(os.path.abspath(given)).parent))
    repository = repository_of(parent)
    if repository is not None:
        return repository
    cwd = Path.cwd()
    return cwd if cwd == parent or cwd in parent.parents else parent


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
        if files.is_dir(p):
            for t in _walk(Path(os.path.realpath(p)), given, exclude):
                if t.path not in seen:
                    seen.add(t.path)
                    out.append(t)
        elif files.exists(p) or files.is_link(p):
            # a FIFO or a device is a target too: reading it is refused with a finding, not a hang
            if given not in seen:
                seen.add(given)
                kinds = kind_of(given) or (FileKind.DOCKERFILE, None)
                out.append(Target(given, kinds[0], p, kinds[1], None, _boundary_of(p)))
        else:
            raise UsageError("no such file or directory", path=given)
    return out


def shown_roots(targets: Sequence[Target]) -> list[tuple[Path, str]]:
    """Each directory the targets were found under (resolved), with what discovery shows before the paths
    of its files (``""`` for ``.``, ``tree/`` for ``tree``, ``/abs/tree/`` for ``/abs/tree``)."""
    out: dict[Path, str] = {}
    for t in targets:
        if t.root is not None and t.fs_path is not None and t.root not in out:
            rel = t.fs_path.relative_to(t.root).as_posix()
            out[t.root] = t.path[: len(t.path) - len(rel)]
    return list(out.items())
