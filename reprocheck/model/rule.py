from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import field
from typing import Any

from reprocheck.model.finding import Finding, Severity
from reprocheck.model.location import Location

from ._value import valueclass


class Needs(enum.StrEnum):
    """What a rule needs to run: only the files (static) or a container engine."""

    STATIC = "static"
    ENGINE = "engine"


class Stage(enum.StrEnum):
    """The stage of ``reprocheck check`` whose findings a rule gives, in the order they run."""

    LINT = "lint"
    BUILD = "build"
    SMOKE = "smoke"
    VERIFY = "verify"
    REBUILD = "rebuild"


class FixKind(enum.StrEnum):
    """Whether ``reprocheck fix`` has a fix for a rule's findings. ``safe``: the build installs what it installs
    today. ``unsafe``: it may install something else (a tag resolved to what it points at now, a lock resolved
    today), so it needs ``--unsafe-fixes``. Declared once, on the rule (``@rule(..., fix=...)``)."""

    NONE = "none"
    SAFE = "safe"
    UNSAFE = "unsafe"


@valueclass
class RuleMeta:
    """What every layer may know about a rule: its identity, default severity and summary."""

    id: str
    name: str
    severity: Severity
    summary: str
    needs: Needs = Needs.STATIC
    equivalents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    stage: Stage = Stage.LINT
    fix: FixKind = FixKind.NONE

    @property
    def family(self) -> str:
        return self.id[:3]

    def finding(
        self,
        location: Location,
        message: str,
        hint: str | None = None,
        *,
        cause: str | None = None,
        evidence: tuple[str, ...] = (),
        details: Mapping[str, Any] | None = None,
    ) -> Finding:
        """A finding of this rule at its default severity (the run's configuration may change it later); a
        runtime failure's diagnosis rides along as ``cause``, ``evidence`` and ``details``."""
        return Finding(self.id, self.severity, message, location, hint, cause=cause, evidence=evidence, details=details)
