from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field

from reprocheck.model.finding import Finding, Severity
from reprocheck.model.rule import RuleMeta

from ._value import valueclass

EXIT_INCOMPLETE = 3
# where the rule pages live unless the configuration's `rule-url` points at a team's own docs
RULE_DOCS = "https://github.com/reprocheck/reprocheck/blob/main/rules/{id}-{name}.md"


@valueclass
class StageResult:
    """One stage of ``reprocheck check``: lint, build, smoke, verify (and rebuild)."""

    name: str
    status: str  # "passed" | "failed" | "skipped"
    seconds: float = 0.0
    detail: str = ""  # one line: what it did, or why it did not run
    findings: int = 0
    required: bool = True  # a skipped required stage makes the verdict "incomplete"


@valueclass
class Report:
    """The result of a run: sorted findings (suppressed ones marked, not dropped) and the rules behind them."""

    findings: tuple[Finding, ...]
    rules: Mapping[str, RuleMeta]
    files: tuple[str, ...]
    tool_version: str
    threshold: Severity = Severity.WARNING
    notes: tuple[str, ...] = field(default=())
    stages: tuple[StageResult, ...] = field(default=())
    rule_url: str = ""  # the configuration's `rule-url` template ({id}, {name}); empty: RULE_DOCS
    exit_zero: bool = False  # --exit-zero (or .hadolint.yaml's no-fail): report, never fail the run
    config_files: tuple[str, ...] = ()  # the configuration files that judged the run

    def rule_doc(self, rule: str) -> str:
        """The URL of a rule's page: the configured template, else the rule's page in the repository."""
        meta = self.rules.get(rule)
        name = meta.name if meta else rule
        return (self.rule_url or RULE_DOCS).replace("{id}", rule).replace("{name}", name)

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
    def verdict(self) -> str:
        """``failed`` (findings at the threshold or a failed stage), ``incomplete`` (a required stage could not
        run), else ``passed``."""
        if self.failing or any(s.status == "failed" for s in self.stages):
            return "failed"
        if any(s.status == "skipped" and s.required for s in self.stages):
            return "incomplete"
        return "passed"

    @property
    def exit_code(self) -> int:
        """0 passed, 1 failed, 3 incomplete (``reprocheck check`` without an engine); always 0 with
        ``exit_zero``."""
        if self.exit_zero:
            return 0
        return {"passed": 0, "failed": 1, "incomplete": EXIT_INCOMPLETE}[self.verdict]

    def counts(self) -> dict[Severity, int]:
        out = dict.fromkeys(Severity, 0)
        for f in self.active:
            out[f.severity] += 1
        return out
