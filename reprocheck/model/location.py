from __future__ import annotations

from ._value import valueclass


@valueclass(slots=True, order=True)
class Location:
    """A place in a file. Lines and columns are 1-based; ``column`` is None when not known."""

    path: str
    line: int
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        if self.column is not None:
            return f"{self.path}:{self.line}:{self.column}"
        return f"{self.path}:{self.line}"
