"""Knowledge tables: what reprocheck knows about ML wheels, base images and system libraries, as data.

Each table is one TOML file in this package with an array of rows (``[[row]]``); every row names its
``source`` (a release note, a wheel's own metadata, an issue thread, or "measured: ..." for what a test
here observed). Tables are read lazily, once per process, on first use: the one-file lint path never imports
``tomllib`` unless a rule needs a table (tests/test_architecture.py pins what a plain lint imports).

Tables (one owner each; add rows, keep the columns):
- ``system_libs.toml``: a shared library (soname) or executable -> the OS package that provides it per
  distribution family (``debian``, ``alpine``, ``rhel``), and the Python distributions known to need it.
- ``base_images.toml``: base images known well enough to judge (family, what they ship, compiler, CUDA).
- ``wheel_variants.toml``: the CUDA of plain PyPI torch releases; the torch family that must agree.
- ``exclusive_groups.toml``: distributions that install the same import package.
- ``fetch_calls.toml``: calls that fetch weights at run time (and torch.compile / torch.load).
- ``cache_dirs.toml``: libraries' cache/config directories and the variables that move them.
- ``cuda_builds.toml``: distributions that compile CUDA code when installed from source.

``mentions(name, word)`` answers "could this table have a row about ``word``?" from the raw text, without
parsing it: rules ask it first, so a project with nothing the tables know never loads ``tomllib``.
"""

from __future__ import annotations

from functools import cache
from typing import Any


class KnowledgeError(Exception):
    """A table shipped with reprocheck is malformed: a bug in reprocheck, reported with the table's name."""


@cache
def table(name: str) -> tuple[dict[str, Any], ...]:
    """The rows of ``<name>.toml`` (read once). Every row must carry a non-empty ``source``."""
    import tomllib
    from importlib import resources

    text = resources.files(__package__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    try:
        rows = tomllib.loads(text).get("row", [])
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"knowledge table {name}.toml: {exc}") from None
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict) or not row.get("source"):
            raise KnowledgeError(f"knowledge table {name}.toml: row {i} has no source")
    return tuple(rows)


@cache
def _raw(name: str) -> str:
    from pathlib import Path

    return (Path(__file__).parent / f"{name}.toml").read_text(encoding="utf-8")


@cache
def needles(name: str) -> tuple[str, ...]:
    """The ``needles = [...]`` strings of a table, read from the raw text (a substring prefilter for its rows)."""
    out: list[str] = []
    for line in _raw(name).splitlines():
        if line.startswith("needles") and "[" in line:  # needles = ["a", "b"]: one line each
            array = line.split("[", 1)[1].rsplit("]", 1)[0]
            out.extend(part.strip().strip('"') for part in array.split(",") if part.strip())
    return tuple(out)


@cache
def _quoted(name: str) -> frozenset[str]:
    """Every double-quoted string of a table's text (a superset of its string values)."""
    return frozenset(_raw(name).split('"')[1::2])


def mentions(name: str, *words: str) -> bool:
    """Whether table ``name`` holds any of ``words`` as a quoted string (a cheap prefilter, no TOML parse)."""
    quoted = _quoted(name)
    return any(w in quoted for w in words)


def system_package(soname_or_exe: str, family: str) -> str | None:
    """The OS package of distribution ``family`` (debian, alpine, rhel) that provides a library or executable."""
    for row in table("system_libs"):
        if row.get("name") == soname_or_exe:
            value = row.get(family)
            return value if isinstance(value, str) and value else None
    return None
