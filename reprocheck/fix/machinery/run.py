"""fix_paths: lint -> ask each fixer for edits on the text as read -> write atomically (or diff) -> lint
again, so the exit code judges what remains."""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from reprocheck.errors import ReprocheckError, UsageError
from reprocheck.files import write_atomic
from reprocheck.fix.machinery.api import Failure, FixContext, Fixer, FixOptions, NewFile, Target
from reprocheck.fix.machinery.diff import unified_diff
from reprocheck.fix.machinery.registry import FIXERS, fix_kinds
from reprocheck.fix.text.edits import Edit, Source, apply_edits
from reprocheck.lint.run import LintOptions, lint_paths, lint_selection
from reprocheck.model.finding import Finding
from reprocheck.model.project import Project
from reprocheck.model.report import Report
from reprocheck.model.rule import FixKind
from reprocheck.parsing.dockerfile import parse_dockerfile
from reprocheck.rules import META

MAX_BYTES = 4 * 1024 * 1024


class FileChanged(ReprocheckError):
    """The file changed on disk between reading it and writing the fix: not written."""


@dataclass
class FixResult:
    report: Report  # what remains (for --diff: the findings as they are now)
    applied: list[Edit] = field(default_factory=list)
    created: list[NewFile] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    diff: str = ""
    written: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # "path: why" for files left as they were
    notes: list[str] = field(default_factory=list)
    unsafe_hidden: int = 0  # findings with an unsafe fix not applied (no --unsafe-fixes)
    before: int = 0  # active findings before any fix
    after: int | None = None  # active findings after the fixes (--diff: of the texts it would write), or unknown
    texts: dict[str, bytes] = field(default_factory=dict)  # --diff: resolved path -> the bytes it would write

    @property
    def fixed(self) -> int:
        return len(self.applied) + len(self.created)


@dataclass(frozen=True, slots=True)
class _Snapshot:
    mtime_ns: int
    size: int
    sha256: str

    @classmethod
    def of(cls, path: Path, data: bytes) -> _Snapshot:
        st = path.stat()
        return cls(st.st_mtime_ns, st.st_size, hashlib.sha256(data).hexdigest())


def _roots(paths: Sequence[str]) -> list[Path]:
    roots = []
    for p in paths:
        if p == "-":
            raise UsageError("fix cannot write to standard input; name the files")
        path = Path(p)
        roots.append((path if path.is_dir() else path.parent).resolve())
    return roots


def _read(path: Path, shown: str) -> tuple[bytes, _Snapshot]:
    if path.is_symlink():
        raise FileChanged("is a symbolic link; fix writes only regular files", path=shown)
    if not path.is_file():
        raise FileChanged("is not a regular file", path=shown)
    if path.stat().st_size > MAX_BYTES:
        raise FileChanged("is larger than 4 MiB; not fixed", path=shown)
    data = path.read_bytes()
    return data, _Snapshot.of(path, data)


def _write(path: Path, shown: str, data: bytes, snapshot: _Snapshot) -> None:
    def unchanged() -> None:
        try:
            now = path.read_bytes()
            current = _Snapshot.of(path, now)
        except OSError:
            raise FileChanged("disappeared while fix was working; not written", path=shown) from None
        if current != snapshot:
            raise FileChanged("changed on disk since fix read it; not written (run fix again)", path=shown)

    write_atomic(path, data, before_replace=unchanged)


def _diff_path(shown: str, path: Path) -> str:
    try:
        rel = os.path.relpath(path.resolve(), Path.cwd().resolve())
    except ValueError:
        rel = shown
    return rel.replace(os.sep, "/")


def _with_reasons(report: Report, failures: Sequence[Failure]) -> Report:
    """Remaining findings that fix tried and could not fix say why in their hint."""
    why = {(f.finding.rule, f.finding.location.path, f.finding.location.line): f.reason for f in failures}
    if not why:
        return report
    out: list[Finding] = []
    for f in report.findings:
        reason = why.get((f.rule, f.location.path, f.location.line))
        out.append(replace(f, hint=f"not fixed: {reason}") if reason else f)
    return replace(report, findings=tuple(out))


class _FixRun:
    def __init__(self, options: FixOptions, lint: LintOptions, report: Report, roots: list[Path]) -> None:
        kinds = fix_kinds()
        selection = lint_selection(lint)
        self.selected = frozenset(r for r in kinds if selection.enabled(META[r]))
        self.explained = frozenset(r for fx in FIXERS for r in fx.hints if selection.enabled(META[r]))
        self.ctx = FixContext(options, roots, self.selected, kinds)
        self.kinds = kinds
        self.result = FixResult(report, before=len(report.active))
        self.done: set[str] = set()  # files created or rewritten whole (a lock), by resolved path

    def fixers_for(self, findings: Sequence[Finding], dockerfile: bool) -> list[tuple[Fixer, list[Finding]]]:
        out = []
        for fixer in FIXERS:
            mine = [
                f
                for f in findings
                if (f.rule in fixer.rules and f.rule in self.selected)
                or (f.rule in fixer.hints and f.rule in self.explained)
            ]
            wanted = dockerfile and fixer.every_dockerfile and any(self.ctx.allows(r) for r in fixer.rules)
            if mine or wanted:
                out.append((fixer, mine))
        return out

    def file(self, shown: str, findings: list[Finding], project: Project | None, diff: bool) -> None:
        path = Path(shown)
        jobs = self.fixers_for(findings, project is not None)
        if not jobs:
            return
        if not self.ctx.inside(path):
            self.result.notes.append(f"{shown}: outside the paths given to fix; left as it is")
            return
        if path.is_symlink() or not path.is_file():
            self.result.notes.append(f"{shown}: not a regular file (a symbolic link?); fix edits only regular files")
            return
        try:
            data, snapshot = _read(path, shown)
        except (FileChanged, OSError) as exc:
            self.result.refused.append(str(exc))
            return
        source = Source.from_bytes(shown, data)
        dockerfile = None
        if project is not None:
            dockerfile = parse_dockerfile(data, shown)
            if dockerfile.issues:
                self.result.notes.append(f"{shown}: does not parse cleanly (RC900); fix leaves it as it is")
                return
        target = Target(path, shown, source, dockerfile, project)
        edits: list[Edit] = []
        for fixer, mine in jobs:
            outcome = fixer.apply(self.ctx, target, mine)
            edits += [e for e in outcome.edits if self.ctx.allows(e.rule, e.safe)]
            self.result.failures += outcome.failures
            self.result.notes += [n for n in outcome.notes if n not in self.result.notes]
            self.new_files(outcome.new_files, diff)
        text, applied, _ = apply_edits(source, edits)
        if not applied or text == source.text:
            return
        if diff:
            self.result.diff += unified_diff(_diff_path(shown, path), source.text, text)
            self.result.applied += applied
            self.result.texts[os.path.realpath(path)] = source.encode(text)
            return
        try:
            _write(path, shown, source.encode(text), snapshot)
        except (FileChanged, OSError) as exc:
            self.result.refused.append(str(exc))
            return
        self.result.applied += applied
        self.result.written.append(shown)

    def new_files(self, files: Sequence[NewFile], diff: bool) -> None:
        for new in files:
            key = str(new.path.resolve())
            if key in self.done:
                continue
            self.done.add(key)
            shown = os.path.relpath(new.path) if not new.path.is_absolute() else str(new.path)
            if not self.ctx.inside(new.path.parent):
                self.result.notes.append(f"{shown}: outside the paths given to fix; left as it is")
                continue
            before = None
            if new.path.exists() or new.path.is_symlink():
                try:
                    data, snapshot = _read(new.path, shown)
                except (FileChanged, OSError) as exc:
                    self.result.refused.append(str(exc))
                    continue
                before = data.decode("utf-8", errors="surrogateescape")
                if before == new.content:
                    continue
            if diff:
                self.result.diff += unified_diff(_diff_path(shown, new.path), before, new.content)
            else:
                try:
                    if before is None:
                        write_atomic(new.path, new.content)
                    else:
                        _write(new.path, shown, new.content.encode("utf-8"), snapshot)
                except (FileChanged, OSError) as exc:
                    self.result.refused.append(str(exc))
                    continue
                self.result.written.append(shown)
            self.result.created.append(new)


def fix_paths(paths: Sequence[str], lint: LintOptions, options: FixOptions, diff: bool = False) -> FixResult:
    """Fix what can be fixed under ``paths``; with ``diff``, change nothing and return the diff."""
    targets = list(paths) or ["."]
    roots = _roots(targets)
    projects: list[Project] = []
    report = lint_paths(targets, lint, projects)
    run = _FixRun(options, lint, report, roots)
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for f in report.active:
        by_path[f.location.path].append(f)
    project_of = {p.dockerfile.path: p for p in projects}
    for p in project_of:
        by_path.setdefault(p, [])
    order = sorted(by_path, key=lambda p: (p not in project_of, p))  # Dockerfiles first: they may create locks
    for shown in order:
        run.file(shown, by_path[shown], project_of.get(shown), diff)
    result = run.result
    fixed_places = {(e.rule, e.path, e.line) for e in result.applied}
    # a finding fix tried and could not fix (and said why) is not "fixable with --unsafe-fixes"
    fixed_places |= {(x.finding.rule, x.finding.location.path, x.finding.location.line) for x in result.failures}
    result.unsafe_hidden = sum(
        1
        for f in report.active
        if run.kinds.get(f.rule) is FixKind.UNSAFE
        and f.rule in run.selected
        and not options.unsafe
        and (f.rule, f.location.path, f.location.line) not in fixed_places
    )
    if result.written:
        report = lint_paths(targets, lint)
    result.report = _with_reasons(report, result.failures)
    result.after = len(result.report.active)
    if diff:
        result.after = _would_remain(targets, lint, result)
    return result


def _would_remain(targets: Sequence[str], lint: LintOptions, result: FixResult) -> int | None:
    """The active findings a run without --diff would leave: lint again, reading the texts it would write in
    place of the files, so that --diff and the run that writes count alike. None when it would also create
    files (a lock): those are not on disk to be found, so what remains is not known without writing them."""
    if result.created:
        return None
    if not result.texts:
        return len(result.report.active)
    from reprocheck.lint.files import overlay

    overlay(result.texts)
    try:
        return len(lint_paths(targets, lint).active)
    finally:
        overlay({})
