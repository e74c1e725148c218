"""Files a directory COPY leaves behind although the prediction needs them.

``COPY . /app`` with ``*.json`` in .dockerignore sends the directory without ``weights.json``: the build
succeeds and the container fails with "file not found". A file counts as needed when the smoke spec's command
names it (its inputs are mounted at run time, so they do not count), or when the code copied with it names it
in a string literal (``open("weights.json")``).

Bounded, read-only walk of the build context; pure matching. Nothing is read outside the context, symlinks are
not followed, big files are skipped.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable
from pathlib import Path

from reprocheck.model._value import valueclass
from reprocheck.model.patterns import lazy

from .dockerignore import DockerIgnore, Pattern

MAX_ENTRIES = 5000
MAX_SOURCES = 300
MAX_SOURCE_BYTES = 512 * 1024
_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".mypy_cache", ".tox", "wheels"}
_LITERAL = lazy(r"""["']([\w][\w./-]{0,200}\.[A-Za-z0-9]{1,10})["']""")


@valueclass
class NeededFile:
    path: str  # relative to the context
    pattern: Pattern  # the .dockerignore line that drops it
    named_by: str  # "predict.py:22" or "the smoke spec's command"


def _walk(root: Path, sub: str) -> tuple[list[str], int]:
    """Regular files under ``root/sub`` (relative to root), without following symlinks; and entries seen."""
    out: list[str] = []
    seen = 0
    start = root / sub if sub not in ("", ".") else root
    if not start.is_dir() or start.is_symlink():
        return out, seen
    for dirpath, dirnames, filenames in os.walk(start, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in sorted(filenames):
            seen += 1
            if seen > MAX_ENTRIES:
                return out, seen
            full = Path(dirpath) / name
            if full.is_symlink() or not full.is_file():
                continue
            out.append(full.relative_to(root).as_posix())
    return out, seen


def _spec_names(context: Path) -> list[tuple[str, str]]:
    """(file, "the smoke spec's `command`") for the smoke spec of a config file at the context root."""
    out: list[tuple[str, str]] = []
    for name in ("reprocheck.toml", "pyproject.toml"):
        path = context / name
        if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_SOURCE_BYTES:
            continue
        import tomllib  # here: a lint of a project without a config file does not load the TOML parser

        try:
            data = tomllib.loads(path.read_text(encoding="utf-8", errors="replace"))
        except (tomllib.TOMLDecodeError, OSError):
            continue
        table = data.get("smoke") if name == "reprocheck.toml" else data.get("tool", {}).get("reprocheck", {})
        if name == "pyproject.toml" and isinstance(table, dict):
            table = table.get("smoke")
        if not isinstance(table, dict):
            continue
        for key in ("command",):  # `inputs` are mounted into the sandbox: an excluded input does not fail smoke
            values = table.get(key)
            if isinstance(values, list):
                out.extend((str(v), f"the smoke spec's `{key}` ({name})") for v in values if isinstance(v, str))
    return out


def _literals(context: Path, rel: str) -> Iterable[tuple[str, str]]:
    path = context / rel
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            return
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    for number, line in enumerate(text.splitlines(), start=1):
        for m in _LITERAL.finditer(line):
            yield m.group(1), f"{rel}:{number}"


def excluded_but_needed(context: Path, ignore: DockerIgnore, directory: str) -> list[NeededFile]:
    """Files under ``directory`` (a COPY source, relative to the context) that .dockerignore drops although
    the smoke spec or the copied code names them."""
    if not ignore.patterns:
        return []
    files, _ = _walk(context, directory.strip("/") or ".")
    excluded: dict[str, Pattern] = {}
    sources: list[str] = []
    for rel in files:
        pattern = ignore.excluded_by(rel)
        if pattern is not None:
            excluded[rel] = pattern
        elif rel.endswith(".py") and len(sources) < MAX_SOURCES:
            sources.append(rel)
    if not excluded:
        return []
    found: dict[str, NeededFile] = {}

    def consider(literal: str, base: str, by: str) -> None:
        literal = literal.removeprefix("./")
        for candidate in (posixpath.normpath(literal), posixpath.normpath(posixpath.join(base, literal))):
            if candidate in excluded and candidate not in found:
                found[candidate] = NeededFile(candidate, excluded[candidate], by)

    for word, by in _spec_names(context):
        consider(word, "", by)
    for rel in sources:
        for literal, by in _literals(context, rel):
            consider(literal, posixpath.dirname(rel), by)
    return sorted(found.values(), key=lambda n: n.path)
