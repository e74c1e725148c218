"""A record you can commit: the environment record as ``record`` writes it beside the golden output keeps
what a diagnosis needs and drops the developer's private details.

- Paths: the project's directory becomes ``.`` and the home directory ``~`` wherever a path holds them
  (interpreter, prefix, distribution locations, the command...). Other absolute paths (``/usr/lib/...``) stay:
  they say which Python ran, and are the same on every machine of that kind.
- Environment variables: every name stays (a diagnosis asks "does the host set X?"); a value stays only for
  the names the spec sets (``env``), the names the project's Python code reads (``os.environ["X"]``,
  ``os.getenv("X")``...), the names listed in ``keep-env`` and the variables that change results (locale,
  timezone, hash seed, thread counts); every other value becomes ``sha256:`` and 16 hex digits, so a change
  still shows while the value does not (PATH, HOME, PWD, OLDPWD...).

``reduce_record`` is pure; ``names_the_code_reads`` reads the project's files (bounded) to feed it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

# variables whose values change what a prediction computes or prints: kept, they hold nothing private
RESULT_VARIABLES = frozenset(
    {
        "TZ",
        "LANG",
        "LANGUAGE",
        "PYTHONHASHSEED",
        "PYTHONUTF8",
        "PYTHONIOENCODING",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "NUMEXPR_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
        "MKL_CBWR",
        "CUDA_VISIBLE_DEVICES",
        "CUBLAS_WORKSPACE_CONFIG",
        "TF_DETERMINISTIC_OPS",
        "TF_ENABLE_ONEDNN_OPTS",
    }
)
KEEP_ALL = "all"

_READS = re.compile(
    r"""(?:os\.environ(?:\.get|\.setdefault|\.pop)?\s*[\[(]\s*|os\.getenv\s*\(\s*|environ(?:\.get)?\s*[\[(]\s*|getenv\s*\(\s*)"""
    r"""["']([A-Za-z_][A-Za-z0-9_]*)["']"""
)
_SKIP_DIRS = {".git", ".venv", "venv", "env", "node_modules", "__pycache__", "site-packages", "wheels", ".tox"}
_MAX_FILES = 2000
_MAX_BYTES = 1024 * 1024


def hashed(value: str) -> str:
    """The probe's own form of a hidden value: a change shows, the value does not."""
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:16]


def _python_files(root: Path) -> Iterator[Path]:
    count = 0
    stack = [root]
    while stack and count < _MAX_FILES:
        here = stack.pop()
        try:
            entries = sorted(here.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir():
                if entry.name not in _SKIP_DIRS and not entry.name.startswith("."):
                    stack.append(entry)
            elif entry.suffix == ".py" and entry.is_file():
                count += 1
                yield entry
                if count >= _MAX_FILES:
                    return


def names_the_code_reads(root: Path) -> frozenset[str]:
    """Environment variable names the project's Python files read by a literal name (up to 2,000 files of
    1 MiB each; links, virtual environments and wheels are skipped)."""
    names: set[str] = set()
    for path in _python_files(root):
        try:
            if path.stat().st_size > _MAX_BYTES:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        names.update(_READS.findall(text))
    return frozenset(names)


def _path_pattern(prefix: str) -> re.Pattern[str] | None:
    prefix = prefix.rstrip("/")
    if len(prefix) < 2:  # "/" or "": nothing private to take out
        return None
    return re.compile(re.escape(prefix) + r"(?=/|$|[\s:;\"',)\]])")


def _relative(text: str, patterns: list[tuple[re.Pattern[str], str]]) -> str:
    for pattern, replacement in patterns:
        text = pattern.sub(replacement, text)
    return text


def _walk(value: Any, patterns: list[tuple[re.Pattern[str], str]]) -> Any:
    if isinstance(value, str):
        return _relative(value, patterns)
    if isinstance(value, list):
        return [_walk(v, patterns) for v in value]
    if isinstance(value, dict):
        return {k: _walk(v, patterns) for k, v in value.items()}
    return value


def reduce_record(
    record: Mapping[str, Any],
    *,
    root: str,
    home: str | None,
    keep: Collection[str] = (),
) -> dict[str, Any]:
    """The record with the project's directory as ``.``, the home directory as ``~``, and the values of
    environment variables hashed except ``keep``, the locale's (``LC_*``) and ``RESULT_VARIABLES``.
    ``keep`` may be ``{"all"}``: the record as the probe saw it. Pure: a new dict, the input untouched."""
    if KEEP_ALL in keep:
        return dict(record)
    roots = sorted({r for r in (root, str(Path(root).resolve()) if root else "") if r}, key=len, reverse=True)
    patterns: list[tuple[re.Pattern[str], str]] = []
    for prefix in roots:  # the project first: it is often under the home directory
        p = _path_pattern(prefix)
        if p is not None:
            patterns.append((p, "."))
    if home:
        p = _path_pattern(home)
        if p is not None:
            patterns.append((p, "~"))
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key == "environment" and isinstance(value, Mapping):
            env: dict[str, Any] = {}
            for name, val in value.items():
                visible = name in keep or name in RESULT_VARIABLES or name.startswith("LC_")
                if not isinstance(val, str) or val.startswith("sha256:") or visible:
                    env[name] = _walk(val, patterns)
                else:
                    env[name] = hashed(val)
            out[key] = env
        else:
            out[key] = _walk(value, patterns)
    return out
