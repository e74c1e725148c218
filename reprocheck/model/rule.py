from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from reprocheck.model.finding import Severity


class Needs(enum.StrEnum):
    """What a rule needs to run: only the files (static) or a container engine."""

    STATIC = "static"
    ENGINE = "engine"


@dataclass(frozen=True)
class RuleMeta:
    """What every layer may know about a rule: its identity, default severity and summary."""

    id: str
    name: str
    severity: Severity
    summary: str
    needs: Needs = Needs.STATIC
    equivalents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def family(self) -> str:
        return self.id[:3]
