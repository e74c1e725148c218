"""How a rule is declared: ``@rule(...)`` on a small pure function, subscribed to one model node type."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import field
from typing import Any, TypeVar

from reprocheck.model._value import valueclass
from reprocheck.model.dockerfile import Dockerfile
from reprocheck.model.finding import Finding, Severity
from reprocheck.model.location import Location
from reprocheck.model.rule import FixKind, Needs, RuleMeta, Stage

N = TypeVar("N")
Check = Callable[[Any, "RuleContext"], Iterable[Finding]]


@valueclass(slots=True)
class Rule:
    meta: RuleMeta
    on: tuple[type, ...]  # empty for rules checked outside the static engine (runtime, meta)
    check: Check | None


@valueclass(slots=True)
class RuleContext:
    """What a check may use besides its node: where it is, the whole file, and the run's options."""

    meta: RuleMeta
    path: str
    dockerfile: Dockerfile | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def finding(
        self,
        line: int,
        message: str,
        hint: str | None = None,
        column: int | None = None,
        path: str | None = None,
    ) -> Finding:
        return Finding(
            rule=self.meta.id,
            severity=self.meta.severity,
            message=message,
            location=Location(path or self.path, line, column),
            hint=hint,
        )


_REGISTERED: list[Rule] = []


def rule(
    id: str,
    name: str,
    severity: Severity,
    summary: str,
    *,
    on: type | tuple[type, ...],
    needs: Needs = Needs.STATIC,
    equivalents: Mapping[str, tuple[str, ...]] | None = None,
    fix: FixKind = FixKind.NONE,
) -> Callable[[Callable[[N, RuleContext], Iterable[Finding]]], Callable[[N, RuleContext], Iterable[Finding]]]:
    """Register a check. The function must be pure: no I/O, no globals; everything comes from its arguments.
    ``on`` is the model node type it judges (a tuple when one concept spans node types, such as an extra
    index in a Dockerfile and in a requirements file). ``fix``: whether ``reprocheck fix`` fixes its findings
    (a fixer in ``reprocheck/fix/<family>.py`` then names the rule; a test holds the two together)."""
    meta = RuleMeta(id, name, severity, summary, needs, dict(equivalents or {}), fix=fix)
    types = on if isinstance(on, tuple) else (on,)

    def deco(
        fn: Callable[[N, RuleContext], Iterable[Finding]],
    ) -> Callable[[N, RuleContext], Iterable[Finding]]:
        _REGISTERED.append(Rule(meta, types, fn))
        return fn

    return deco


def declare(
    id: str,
    name: str,
    severity: Severity,
    summary: str,
    *,
    needs: Needs = Needs.STATIC,
    equivalents: Mapping[str, tuple[str, ...]] | None = None,
    stage: Stage = Stage.LINT,
) -> RuleMeta:
    """Register a rule whose findings are produced elsewhere (parse errors, pragmas, runtime stages)."""
    meta = RuleMeta(id, name, severity, summary, needs, dict(equivalents or {}), stage)
    _REGISTERED.append(Rule(meta, (), None))
    return meta


def registered() -> tuple[Rule, ...]:
    return tuple(_REGISTERED)
