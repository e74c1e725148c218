"""Files a directory COPY leaves behind although the prediction needs them.

``COPY . /app`` with ``*.json`` in .dockerignore sends the directory without ``weights.json``: the build
succeeds and the container fails with "file not found". A file counts as needed when the smoke spec's command
names it (its inputs are mounted at run time, so they do not count), or when the code copied with it names it
in a string literal (``open("weights.json")``). ``reached`` says whether the container is known to run that
code: the smoke command's script, or a module its imports reach (True); a script nothing the command runs
imports, a training helper (False); no smoke command to follow (None). Only True is a certainty.

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
_IMPORT = lazy(r"^\s*(?:from\s+(\.*[\w.]*)\s+import\s+([\w\s,*()]+)|import\s+([\w.]+(?:\s*,\s*[\w.]+)*))")


@valueclass
class NeededFile:
    path: str  # relative to the context
    pattern: Pattern  # the .dockerignore line that drops it
    named_by: str  # "predict.py:22" or "the smoke spec's command"
    reached: bool | None = None  # the smoke command runs or imports the code that names it (None: unknown)


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


def _module_files(name: str, base: str, sources: set[str]) -> list[str]:
    """The files ``import name`` can load from ``base`` (a directory of the context): the module and its
    parent packages' ``__init__.py``."""
    parts = [p for p in name.split(".") if p]
    out = []
    for i in range(1, len(parts) + 1):
        stem = posixpath.join(base, *parts[:i]) if base else posixpath.join(*parts[:i])
        for candidate in (stem + ".py", posixpath.join(stem, "__init__.py"), posixpath.join(stem, "__main__.py")):
            candidate = posixpath.normpath(candidate)
            if candidate in sources and (i == len(parts) or not candidate.endswith("__main__.py")):
                out.append(candidate)
    return out


def _imports(context: Path, rel: str, sources: set[str]) -> list[str]:
    """The context's Python files that ``rel`` imports (absolute names from the script's directory, the
    context root and src/; relative names from its package)."""
    path = context / rel
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            return []
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    here = posixpath.dirname(rel)
    roots = list(dict.fromkeys((here, "", "src")))
    out: list[str] = []
    for line in text.splitlines():
        m = _IMPORT.match(line)
        if not m:
            continue
        names: list[tuple[str, list[str]]] = []
        if m.group(3):
            names = [(n.strip(), roots) for n in m.group(3).split(",") if n.strip()]
        else:
            module = m.group(1)
            dots = len(module) - len(module.lstrip("."))
            imported = [w.strip("() ") for w in m.group(2).split(",") if w.strip("() ") and w.strip("() ") != "*"]
            if dots:
                base = here
                for _ in range(dots - 1):
                    base = posixpath.dirname(base)
                rest = module[dots:]
                names = [(rest, [base])] if rest else []
                names += [(f"{rest}.{w}" if rest else w, [base]) for w in imported]
            else:
                names = [(module, roots)] + [(f"{module}.{w}", roots) for w in imported]
        for name, bases in names:
            for base in bases:
                out += _module_files(name, base, sources)
    return out


def reached_code(context: Path, command: list[str], sources: list[str]) -> set[str] | None:
    """The context's Python files the smoke command runs or imports (transitively), None when there is no
    command to follow or its first Python file is not in the context (a console script)."""
    if not command:
        return None
    known = set(sources)
    entries: list[str] = []
    words = command[1:] if command else []
    for i, word in enumerate(words):
        if word == "-m" and i + 1 < len(words):
            entries += _module_files(words[i + 1], "", known) + _module_files(words[i + 1], "src", known)
            break
        if word.endswith(".py"):
            entries += [posixpath.normpath(word.removeprefix("./"))]
            break
    if command[0].endswith(".py") or (not entries and posixpath.normpath(command[0].removeprefix("./")) in known):
        entries.append(posixpath.normpath(command[0].removeprefix("./")))
    if command[0] in ("uvicorn", "gunicorn", "hypercorn", "waitress-serve") and len(command) > 1:
        target = next((w for w in command[1:] if ":" in w and not w.startswith("-")), "")
        entries += _module_files(target.split(":")[0], "", known) if target else []
    entries = [e for e in entries if e in known]
    if not entries:
        return None
    seen: set[str] = set()
    queue = list(dict.fromkeys(entries))
    while queue and len(seen) < MAX_SOURCES:
        rel = queue.pop(0)
        if rel in seen:
            continue
        seen.add(rel)
        queue += [r for r in _imports(context, rel, known) if r not in seen]
    return seen


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

    spec = _spec_names(context)
    for word, by in spec:
        consider(word, "", by)
    named_by_spec = set(found)
    reached = reached_code(context, [word for word, _ in spec], sources)
    for rel in sources:
        for literal, by in _literals(context, rel):
            consider(literal, posixpath.dirname(rel), by)
    out = []
    for path, needed in found.items():
        if path in named_by_spec:
            verdict: bool | None = True
        else:
            script = needed.named_by.rsplit(":", 1)[0]
            verdict = None if reached is None else script in reached
        out.append(NeededFile(needed.path, needed.pattern, needed.named_by, verdict))
    return sorted(out, key=lambda n: n.path)
