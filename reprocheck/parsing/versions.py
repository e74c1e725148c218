"""Small pure helpers for judging versions and refs, with fast paths that avoid importing ``packaging``
(~40 ms) for the plain cases: release-only versions and comparison operators."""

from __future__ import annotations

import re

from reprocheck.model.patterns import lazy

COMMIT = lazy(r"[0-9a-f]{40}|[0-9a-f]{64}")
_RELEASE = re.compile(r"\d+(?:\.\d+)*")
_CLAUSE = re.compile(r"\s*(~=|==|!=|<=|>=|<|>)\s*(\d+(?:\.\d+)*)\s*")


def is_commit(ref: str) -> bool:
    """A full git commit id (SHA-1 or SHA-256). Abbreviated ids can become ambiguous; tags can move."""
    return COMMIT.fullmatch(ref) is not None


def has_variable(text: str) -> bool:
    """True when the text still holds a ``$VAR`` or ``$(...)`` the linter could not resolve."""
    return "$" in text or "`" in text


def is_local_path(text: str) -> bool:
    return text.startswith((".", "/", "~", "file:")) or text == "."


def simple_clauses(spec: str) -> list[tuple[str, str]] | None:
    """``">=1.4, <1.5"`` -> [(">=", "1.4"), ("<", "1.5")] when every clause is an operator and a release
    version (no pre/post/dev/local parts, no wildcards); None otherwise."""
    if not spec.strip():
        return []
    out: list[tuple[str, str]] = []
    for part in spec.split(","):
        m = _CLAUSE.fullmatch(part)
        if m is None or (m.group(1) == "~=" and "." not in m.group(2)):  # ~=1 is invalid: packaging says why
            return None
        out.append((m.group(1), m.group(2)))
    return out


def _number(digits: str) -> tuple[int, str]:
    """A release number as a key that orders like ``int(digits)``, without ``int()`` (which refuses more
    than 4,300 digits): shorter numbers are smaller, equal lengths compare digit by digit."""
    stripped = digits.lstrip("0")
    return (len(stripped), stripped)


def _key(version: str) -> tuple[tuple[int, str], ...]:
    parts = [_number(p) for p in version.split(".")]
    while len(parts) > 1 and parts[-1] == (0, ""):
        parts.pop()
    return tuple(parts)


def release_satisfies(version: str, clauses: list[tuple[str, str]]) -> bool | None:
    """PEP 440 containment for release-only versions and simple clauses; None when it needs ``packaging``."""
    if not _RELEASE.fullmatch(version):
        return None
    v = _key(version)
    for op, target in clauses:
        t = _key(target)
        if op == ">=" and not v >= t:
            return False
        if op == "<=" and not v <= t:
            return False
        if op == ">" and not v > t:
            return False
        if op == "<" and not v < t:
            return False
        if op == "==" and v != t:
            return False
        if op == "!=" and v == t:
            return False
        if op == "~=":
            parts = target.split(".")
            if len(parts) < 2:
                return None
            prefix = [_number(x) for x in parts[:-1]]
            mine = [_number(x) for x in version.split(".")]
            mine += [(0, "")] * (len(prefix) - len(mine))
            if not (v >= t and mine[: len(prefix)] == prefix):
                return False
    return True
