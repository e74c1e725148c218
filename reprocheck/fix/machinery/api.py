"""What a fixer is given and what it returns. Fixers never write: they propose edits on the text as read."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reprocheck.fix.text.edits import Edit, Source
from reprocheck.model.dockerfile import Dockerfile, RunInstruction
from reprocheck.model.finding import Finding
from reprocheck.model.project import Project
from reprocheck.model.rule import FixKind


@dataclass(frozen=True, slots=True)
class FixOptions:
    unsafe: bool = False
    offline: bool = False  # digests from the local engine, no network
    from_image: str | None = None  # an image built from the project: versions of what it holds
    platform: str | None = None  # pin the manifest of this platform instead of the index
    index_url: str | None = None  # the index pip-compile resolves against
    config: str | None = None  # lint's --config: where fix reads what the project declares (build args)
    isolated: bool = False  # lint's --isolated: no configuration file is read
    timeout: float = 15.0


@dataclass(frozen=True, slots=True)
class NewFile:
    """A file fix creates (a lock next to its source)."""

    path: Path
    content: str
    rule: str
    note: str


@dataclass(frozen=True, slots=True)
class Failure:
    """A finding fix could not fix, and why (a registry that did not answer, a version not found)."""

    finding: Finding
    reason: str


@dataclass
class Outcome:
    edits: list[Edit] = field(default_factory=list)
    new_files: list[NewFile] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # advice printed after the fixes (once each)

    def fail(self, finding: Finding, reason: str) -> None:
        self.failures.append(Failure(finding, reason))


@dataclass(frozen=True, slots=True)
class Target:
    """One file with fixable findings: its text as read, and, for a Dockerfile, its model and project."""

    path: Path  # on disk
    shown: str  # as findings name it
    source: Source
    dockerfile: Dockerfile | None = None
    project: Project | None = None

    def run_at(self, finding: Finding) -> RunInstruction | None:
        """The RUN instruction whose lines hold ``finding`` (None outside a Dockerfile or a RUN)."""
        if self.dockerfile is None:
            return None
        line = finding.location.line
        return next(
            (i for i in self.dockerfile.instructions if isinstance(i, RunInstruction) and i.line <= line <= i.end_line),
            None,
        )


class FixContext:
    """Shared by the fixers of one run: options, the project root, and caches of look-ups."""

    def __init__(
        self, options: FixOptions, roots: Sequence[Path], selected: frozenset[str], kinds: dict[str, FixKind]
    ) -> None:
        self.options = options
        self.roots = tuple(roots)
        self.selected = selected  # rules selected that have a fix
        self.kinds = kinds
        self.cache: dict[tuple[str, ...], Any] = {}

    def allows(self, rule: str, safe: bool | None = None) -> bool:
        """Whether an edit for ``rule`` is wanted: selected, and safe (``safe``, else the rule's kind says
        so) or ``--unsafe-fixes`` given."""
        if rule not in self.selected:
            return False
        if safe is None:
            safe = self.kinds.get(rule) is FixKind.SAFE
        return safe or self.options.unsafe

    def inside(self, path: Path) -> bool:
        """Whether ``path`` (symlinks resolved) is inside one of the project roots."""
        resolved = path.resolve()
        return any(resolved == root or resolved.is_relative_to(root) for root in self.roots)

    def cached(self, key: tuple[str, ...], compute: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


FixFunction = Callable[[FixContext, Target, Sequence[Finding]], Outcome]


@dataclass(frozen=True, slots=True)
class Fixer:
    """One fix: the rules whose findings it fixes (each rule declares the kind, ``@rule(..., fix=...)``).
    ``every_dockerfile``: called for each Dockerfile even without findings of its rules (it also fixes places
    no rule reports yet)."""

    rules: frozenset[str]
    apply: FixFunction
    every_dockerfile: bool = False
    hints: frozenset[str] = frozenset()  # rules it only explains (why not fixed, what to run)


def explain(reasons: Mapping[str, str], findings: Sequence[Finding]) -> Outcome:
    """For a fixer that fixes nothing (``Fixer(frozenset(), ..., hints=frozenset(reasons))``): each finding of
    these rules (rule id -> reason) stays, and says why fix has no source of truth for it and what to run."""
    out = Outcome()
    for f in findings:
        if f.rule in reasons:
            out.fail(f, reasons[f.rule])
    return out
