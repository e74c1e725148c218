"""Which dependency file a path is, and the one entry point that parses any of them."""

from __future__ import annotations

import contextlib
import importlib
import re
from collections.abc import Callable, Iterable
from functools import partial

from reprocheck.model.deps import DependencyFile, DepKind
from reprocheck.model.dockerfile import ParseIssue
from reprocheck.parsing.text import decode

_REQ_NAME = re.compile(r"(requirements|constraints)[^/]*\.txt$|[^/]*-requirements\.txt$", re.IGNORECASE)
_REQ_DIR = re.compile(r"(^|/)(requirements|reqs)/[^/]+\.(txt|in)$", re.IGNORECASE)
_IN_NAME = re.compile(r"requirements[^/]*\.in$", re.IGNORECASE)
_CONDA_ENV = re.compile(r"(^|/)environment[^/]*\.ya?ml$", re.IGNORECASE)
_CONDA_LOCK = re.compile(r"(^|/)([^/]*conda-lock[^/]*\.ya?ml|conda-[^/]+\.lock)$", re.IGNORECASE)


def dep_kind_of(path: str) -> DepKind | None:
    """The kind of dependency file a path names, judged by its name (None when it is none)."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    fixed = {
        "pyproject.toml": DepKind.PYPROJECT,
        "uv.lock": DepKind.UV_LOCK,
        "poetry.lock": DepKind.POETRY_LOCK,
        "Pipfile": DepKind.PIPFILE,
        "Pipfile.lock": DepKind.PIPFILE_LOCK,
    }
    if name in fixed:
        return fixed[name]
    if _CONDA_LOCK.search(path):
        return DepKind.CONDA_LOCK
    if _CONDA_ENV.search(path):
        return DepKind.CONDA_ENV
    if _IN_NAME.search(name) or (_REQ_DIR.search(path) and name.endswith(".in")):
        return DepKind.REQUIREMENTS_IN
    if _REQ_NAME.search(name) or _REQ_DIR.search(path):
        return DepKind.REQUIREMENTS
    return None


def guess_kind(path: str) -> DepKind:
    """For a file the Dockerfile names (``pip install -r deps/prod.lst``): by name, else by extension."""
    kind = dep_kind_of(path)
    if kind is not None:
        return kind
    if path.endswith((".yml", ".yaml")):
        return DepKind.CONDA_ENV
    if path.endswith(".in"):
        return DepKind.REQUIREMENTS_IN
    return DepKind.REQUIREMENTS


# kind -> (module under reprocheck.parsing, function): a parser is imported when its kind is met, so
# linting a Dockerfile with a requirements.txt does not load the TOML, YAML and lock parsers.
_PARSERS: dict[DepKind, tuple[str, str]] = {
    DepKind.REQUIREMENTS: ("requirements_file", "parse_requirements_file"),
    DepKind.REQUIREMENTS_IN: ("requirements_file", "parse_requirements_file"),  # told its kind below
    DepKind.PYPROJECT: ("pyproject", "parse_pyproject"),
    DepKind.UV_LOCK: ("uv_lock", "parse_uv_lock"),
    DepKind.POETRY_LOCK: ("poetry_lock", "parse_poetry_lock"),
    DepKind.PIPFILE: ("pipfile", "parse_pipfile"),
    DepKind.PIPFILE_LOCK: ("pipfile", "parse_pipfile_lock"),
    DepKind.CONDA_ENV: ("conda_env", "parse_conda_env"),
    DepKind.CONDA_LOCK: ("conda_env", "parse_conda_lock"),
}


# What a parser imports on first need, beyond its own module (the costly third-party part).
_FIRST_NEED: dict[DepKind, tuple[str, ...]] = {
    DepKind.REQUIREMENTS: ("packaging.requirements", "pip_requirements_parser"),
    DepKind.REQUIREMENTS_IN: ("packaging.requirements", "pip_requirements_parser"),
    DepKind.PYPROJECT: ("tomli",),
    DepKind.UV_LOCK: ("tomli",),
    DepKind.POETRY_LOCK: ("tomli",),
    DepKind.PIPFILE: ("tomli",),
    DepKind.CONDA_ENV: ("yaml",),
    DepKind.CONDA_LOCK: ("yaml",),
}


def preload_parsers(kinds: Iterable[DepKind]) -> None:
    """Import now the parsers of these kinds and what they import on first need: a process about to fork
    workers (``lint/parallel.py``) imports them once, not once per process."""
    for kind in set(kinds):
        _parser(kind)
        for name in _FIRST_NEED.get(kind, ()):
            with contextlib.suppress(ImportError):  # an optional accelerator (tomli) may be absent
                importlib.import_module(name)


def _parser(kind: DepKind) -> Callable[[str, str], DependencyFile]:
    module, function = _PARSERS[kind]
    parse: Callable[..., DependencyFile] = getattr(importlib.import_module(f"reprocheck.parsing.{module}"), function)
    return partial(parse, kind=kind) if kind is DepKind.REQUIREMENTS_IN else parse


def parse_dependency_file(data: bytes, path: str, kind: DepKind) -> DependencyFile:
    """Parse any dependency file. Bad input becomes ParseIssues on the result; this never raises."""
    decoded = decode(data)
    result = _parser(kind)(decoded.text, path)
    if decoded.bad_line is not None:
        from dataclasses import replace

        result = replace(result, issues=(ParseIssue(decoded.bad_line, "not valid UTF-8"), *result.issues))
    return result
