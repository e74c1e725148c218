"""RC60x: what a dependency or lock file asks for, on its own lines."""

from __future__ import annotations

from collections.abc import Iterator

from reprocheck.model.deps import Dependency, DependencyFile, DepKind
from reprocheck.model.finding import Finding, Severity
from reprocheck.model.install import SpecKind
from reprocheck.model.rule import FixKind
from reprocheck.rules._api import RuleContext, rule

_INSTALLED = (DepKind.REQUIREMENTS, DepKind.CONDA_ENV)


def _pip_entries(f: DependencyFile) -> list[Dependency]:
    """Entries pip installs as they are written: requirements files and the pip: part of conda envs."""
    if f.kind not in _INSTALLED:
        return []
    return [d for d in f.dependencies if d.manager == "pip"]


@rule(
    "RC601",
    "requirement-unpinned",
    Severity.ERROR,
    "Requirements entry without an exact `==` version",
    on=DependencyFile,
    fix=FixKind.UNSAFE,
)
def requirement_unpinned(f: DependencyFile, ctx: RuleContext) -> Iterator[Finding]:
    for d in _pip_entries(f):
        if d.spec.kind is SpecKind.NAME and not d.spec.pinned:
            yield ctx.finding(
                d.line,
                f"`{d.spec.raw}` is not pinned ({d.spec.reason}): pip resolves it again at every build",
                hint="compile a lock: `pip-compile --generate-hashes requirements.in` (or `uv pip compile`)",
                path=f.path,
            )


def _hashable(d: Dependency) -> bool:
    return d.spec.kind in (SpecKind.NAME, SpecKind.VCS, SpecKind.URL) and not d.editable


@rule(
    "RC602",
    "requirements-without-hashes",
    Severity.WARNING,
    "Pinned requirements file without `--hash` entries",
    on=DependencyFile,
    fix=FixKind.UNSAFE,
)
def requirements_without_hashes(f: DependencyFile, ctx: RuleContext) -> Iterator[Finding]:
    if f.kind is not DepKind.REQUIREMENTS or not f.is_pinned:
        return
    entries = [d for d in f.dependencies if _hashable(d)]
    if any(d.hashes for d in entries):
        return
    # pip cannot hash a VCS checkout: a file of commits only is as pinned as it gets, and --require-hashes
    # would refuse it
    files = [d for d in entries if d.spec.kind is not SpecKind.VCS]
    if not files:
        return
    hint = "regenerate with `pip-compile --generate-hashes` and install with `pip install --require-hashes -r`"
    if len(files) < len(entries):
        hint += "; pip cannot hash VCS entries, so move them to a file of their own first"
    yield ctx.finding(
        files[0].line,
        f"{len(files)} pinned entries and no `--hash`: a file replaced on the index installs without complaint",
        hint=hint,
        path=f.path,
    )


@rule(
    "RC603",
    "requirements-partial-hashes",
    Severity.ERROR,
    "Some requirements entries have hashes and others do not (pip refuses the file)",
    on=DependencyFile,
    fix=FixKind.UNSAFE,
)
def requirements_partial_hashes(f: DependencyFile, ctx: RuleContext) -> Iterator[Finding]:
    if f.kind is not DepKind.REQUIREMENTS:
        return
    entries = [d for d in f.dependencies if _hashable(d)]
    hashed = sum(1 for d in entries if d.hashes)
    if not hashed or hashed == len(entries):
        return
    for d in entries:
        if not d.hashes:
            yield ctx.finding(
                d.line,
                f"`{d.spec.raw}` has no `--hash` while {hashed} other entries do: pip switches to hash-checking "
                "mode for the whole install and fails on this line",
                hint="regenerate the whole file with `pip-compile --generate-hashes`",
                path=f.path,
            )


@rule(
    "RC604",
    "requirement-url-not-pinned",
    Severity.ERROR,
    "VCS entry without a commit, or URL entry without a hash, in an installed file",
    on=DependencyFile,
    fix=FixKind.UNSAFE,
)
def requirement_url_not_pinned(f: DependencyFile, ctx: RuleContext) -> Iterator[Finding]:
    for d in _pip_entries(f):
        if d.spec.kind is SpecKind.VCS and not d.spec.pinned:
            yield ctx.finding(
                d.line,
                f"`{d.spec.raw}`: {d.spec.reason}",
                hint="pin the full commit id: `@<40-hex>` (git ls-remote <url> <ref> prints it)",
                path=f.path,
            )
        elif d.spec.kind is SpecKind.URL and not d.hashes and "#sha256=" not in d.spec.raw:
            yield ctx.finding(
                d.line,
                f"`{d.spec.raw}` downloads an archive whose content is not checked",
                hint="add `--hash=sha256:<hex>` (or `#sha256=<hex>` to the URL)",
                path=f.path,
            )


@rule(
    "RC606",
    "conda-dependency-unpinned",
    Severity.ERROR,
    "conda environment entry without an exact version (or build, in a lock)",
    on=DependencyFile,
)
def conda_dependency_unpinned(f: DependencyFile, ctx: RuleContext) -> Iterator[Finding]:
    if f.kind is not DepKind.CONDA_ENV:
        return
    for d in f.dependencies:
        if d.manager == "conda" and d.spec.kind is SpecKind.NAME and not d.spec.pinned:
            yield ctx.finding(
                d.line,
                f"`{d.spec.raw}` is not pinned ({d.spec.reason}): the solver picks the newest build that fits today",
                hint="pin `name==version` (a lock needs `name==version=build`), or generate a lock with conda-lock",
                path=f.path,
            )
