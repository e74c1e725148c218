from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import field, replace
from typing import Any

from reprocheck.model.location import Location
from reprocheck.model.text import plain_text

from ._value import valueclass


class Severity(enum.StrEnum):
    """How bad a finding is. Ordered: ``ERROR > WARNING > INFO``."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Parse a severity name; raises ValueError naming the accepted values."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            accepted = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {accepted})") from None


_RANK = {Severity.INFO: 1, Severity.WARNING: 2, Severity.ERROR: 3}


@valueclass
class Finding:
    """One result of a check, static or dynamic. Every reporter renders these."""

    rule: str
    severity: Severity
    message: str
    location: Location
    hint: str | None = None
    related: tuple[Location, ...] = ()
    suppressed_by: str | None = None
    # the diagnosis of a runtime failure, structured for machines: the most likely cause in a few words, the
    # lines that show it, and plain JSON-able facts (packages with both versions, the variable, the pattern...)
    cause: str | None = None
    evidence: tuple[str, ...] = ()
    details: Mapping[str, Any] | None = field(default=None, compare=False)
    fingerprint: str | None = None  # set by the engine: stable across unrelated line shifts (baselines, SARIF)

    def __post_init__(self) -> None:
        # build and container output quoted in a finding (colours, progress bars) reaches no report as escapes
        for name in ("message", "hint"):
            value = getattr(self, name)
            if value and ("\x1b" in value or "\r" in value):
                object.__setattr__(self, name, plain_text(value))

    def suppressed(self, by: str) -> Finding:
        return replace(self, suppressed_by=by)

    def with_severity(self, severity: Severity) -> Finding:
        return replace(self, severity=severity)

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.path, loc.line, loc.column or 0, self.rule, self.message)
