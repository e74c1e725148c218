from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reprocheck.model.finding import Finding, Severity
from reprocheck.model.rule import RuleMeta


@dataclass(frozen=True)
class Report:
    """The result of a run: sorted findings (suppressed ones marked, not dropped) and the rules behind them."""

    findings: tuple[Finding, ...]
    rules: Mapping[str, RuleMeta]
    files: tuple[str, ...]
    tool_version: str
    threshold: Severity = Severity.WARNING
    notes: tuple[str, ...] = field(default=())

    @property
    def active(self) -> tuple[Finding, ...]:
        """Findings not suppressed by a pragma."""
        return tuple(f for f in self.findings if f.suppressed_by is None)

    @property
    def failing(self) -> tuple[Finding, ...]:
        """Active findings at or above the failure threshold."""
        rank = self.threshold.rank
        return tuple(f for f in self.active if f.severity.rank >= rank)

    @property
    def exit_code(self) -> int:
        return 1 if self.failing else 0

    def counts(self) -> dict[Severity, int]:
        out = dict.fromkeys(Severity, 0)
        for f in self.active:
            out[f.severity] += 1
        return out
