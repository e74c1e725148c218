"""One row of ``reprocheck audit``: a project (a Dockerfile with its context) and how it fared."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Row:
    """One project of an audit."""

    project: str  # the Dockerfile, as shown
    context: str
    errors: int = 0
    warnings: int = 0
    info: int = 0
    installs: int = 0  # packages named by install commands and the dependency files they read
    pinned: int = 0
    verdict: str = "pass"  # pass | fail | error | incomplete
    stages: dict[str, str] = field(default_factory=dict)  # with --check: build/smoke/verify -> status
    rules: dict[str, int] = field(default_factory=dict)  # rule -> active findings
    error: str | None = None
    seconds: float = 0.0

    @property
    def pinned_share(self) -> float | None:
        return self.pinned / self.installs if self.installs else None
