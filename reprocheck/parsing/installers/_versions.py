"""Small pure helpers for judging versions and refs."""

from __future__ import annotations

import re

COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def is_commit(ref: str) -> bool:
    """A full git commit id (SHA-1 or SHA-256). Abbreviated ids can become ambiguous; tags can move."""
    return COMMIT.fullmatch(ref) is not None


def has_variable(text: str) -> bool:
    """True when the text still holds a ``$VAR`` or ``$(...)`` the linter could not resolve."""
    return "$" in text or "`" in text


def is_local_path(text: str) -> bool:
    return text.startswith((".", "/", "~", "file:")) or text == "."
