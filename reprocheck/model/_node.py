"""Model nodes are ``@dataclass(frozen=True, repr=False, eq=False)`` subclasses of ``Node``.

Nodes are compared by identity (the engine never asks whether two instructions are equal), and one
shared ``__repr__`` replaces the generated ones: generating them costs ~0.35 ms per class at import, and
``reprocheck lint`` must start in 100 ms. Values that are compared (Finding, Location, RuleMeta) keep the
full dataclass."""

from __future__ import annotations

from dataclasses import fields


class Node:
    """Base of model nodes: a readable repr from the dataclass fields."""

    __slots__ = ()

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))  # type: ignore[arg-type]
        return f"{type(self).__name__}({shown})"
