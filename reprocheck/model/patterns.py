"""Regular expressions compiled when first used, for the module-level patterns most runs never reach.

``re.compile`` runs a parser and a compiler written in Python: ~0.5 M instructions a pattern, and a one-file
``reprocheck lint`` (a pre-commit hook) imports modules holding about seventy. ``lazy(...)`` stands for
the compiled pattern: the first attribute asked for compiles it and keeps its methods as the stand-in's own
attributes, so that later calls cost what calls on the pattern cost. Use it only with method calls
(``_X.search(...)``), not where an API wants a ``re.Pattern`` object.
"""

from __future__ import annotations

import re
from typing import Any, cast

_KEPT = ("match", "search", "fullmatch", "finditer", "findall", "sub", "subn", "split", "pattern", "flags", "groups")


class _Lazy:
    def __init__(self, pattern: str, flags: int) -> None:
        self._args = (pattern, flags)

    def __getattr__(self, name: str) -> Any:  # only for attributes not yet kept
        compiled = re.compile(*self._args)
        for kept in _KEPT:
            self.__dict__[kept] = getattr(compiled, kept)
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy({self._args[0]!r})"


def lazy(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, done at the first use."""
    return cast("re.Pattern[str]", _Lazy(pattern, flags))
