"""RC70x: the Dockerfile against the dependency files it installs (what no other linter looks at)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reprocheck.model.deps import DependencyFile, DepKind
from reprocheck.model.dockerfile import RunInstruction
from reprocheck.model.finding import Finding, Severity
from reprocheck.model.install import InstallCommand, SpecKind
from reprocheck.model.location import Location
from reprocheck.model.names import canonical
from reprocheck.model.project import InstalledFile, Project
from reprocheck.model.rule import FixKind
from reprocheck.parsing.platform import unfit_packages
from reprocheck.rules._api import RuleContext, rule

TOOLING = frozenset({"pip", "setuptools", "wheel", "uv", "poetry", "pipenv", "pip-tools", "build", "virtualenv"})


@rule(
    "RC701",
    "installs-unlocked-source",
    Severity.ERROR,
    "The Dockerfile installs a dependency source (requirements.in, pyproject ranges) instead of a lock",
    on=Project,
    fix=FixKind.UNSAFE,
)
def installs_unlocked_source(project: Project, ctx: RuleContext) -> Iterator[Finding]:
    for item in project.installed:
        f = item.file
        if f is None:
            continue
        if item.role in ("requirements", "constraints") and f.kind is DepKind.REQUIREMENTS_IN:
            yield ctx.finding(
                item.line,
                f"`{item.install.command.text(60)}` installs {f.path}, the source of a lock: pip resolves it at "
                "build time",
                hint="install the compiled, hashed lock instead (pip-compile writes requirements.txt)",
            )
        elif item.role == "project" and item.install.manager == "pip" and item.lock is None:
            ranges = [d for d in f.dependencies if d.group == "" and d.spec.kind is SpecKind.NAME and not d.spec.pinned]
            if ranges and not _pinned_before(project, item):
                names = ", ".join(f"`{d.spec.raw}`" for d in ranges[:3]) + (" ..." if len(ranges) > 3 else "")
                yield ctx.finding(
                    item.line,
                    f"`{item.install.command.text(60)}` resolves {len(ranges)} ranges of {f.path} at build time "
                    f"({names}) and no lock is installed first",
                    hint="install a lock before the project (`pip install -r requirements.txt` from pip-compile, "
                    "or `uv sync --locked`), then `pip install --no-deps .`",
                )


def _pinned_before(project: Project, item: InstalledFile) -> bool:
    """A pinned requirements or constraints file installed earlier in the same stage (or the same command)."""
    for other in project.installed:
        if other is item:
            return item.install.has("--no-deps") or bool(item.install.constraint_files)
        same_stage = _stage(project, other.line) == _stage(project, item.line)
        if same_stage and other.file is not None and other.file.kind is DepKind.REQUIREMENTS and other.file.is_pinned:
            return True
    return False


def _stage(project: Project, line: int) -> int:
    for ins in project.dockerfile.instructions:
        if ins.line == line:
            return ins.stage
    return -1


def _lock_versions(item: InstalledFile) -> tuple[dict[str, str], str] | None:
    """The versions an install pins for the image: from a pinned requirements file or an installed lock."""
    if item.lock is not None:
        versions: dict[str, str] = {}
        for p in item.lock.locked:
            name = canonical(p.name)
            versions[name] = "*" if name in versions and versions[name] != p.version else p.version
        return versions, item.lock.path
    f = item.file
    if f is not None and f.kind is DepKind.REQUIREMENTS and f.is_pinned:
        return {canonical(d.name): d.spec.version or "" for d in f.dependencies if d.spec.pinned}, f.path
    return None


@rule(
    "RC702",
    "dockerfile-overrides-lock",
    Severity.ERROR,
    "A later pip install contradicts the lock, or adds a package the lock does not have",
    on=Project,
    fix=FixKind.UNSAFE,
)
def dockerfile_overrides_lock(project: Project, ctx: RuleContext) -> Iterator[Finding]:
    df = project.dockerfile
    by_install = {id(i.install): i for i in project.installed}
    locked: dict[int, dict[str, tuple[str, str]]] = {}  # stage -> name -> (version, lock path)
    for ins in df.instructions:
        if not isinstance(ins, RunInstruction):
            continue
        stage_locks = locked.setdefault(ins.stage, _inherited(project, ins.stage, locked))
        for inst in ins.installs:
            item = by_install.get(id(inst))
            if item is not None:
                versions = _lock_versions(item)
                if versions is not None:
                    stage_locks.update({n: (v, versions[1]) for n, v in versions[0].items()})
                continue
            if stage_locks and inst.manager == "pip" and inst.action == "install" and not inst.requirement_files:
                yield from _check_against_lock(inst, stage_locks, ctx)


def _inherited(
    project: Project, stage: int, locked: dict[int, dict[str, tuple[str, str]]]
) -> dict[str, tuple[str, str]]:
    stages = project.dockerfile.stages
    parent = stages[stage].parent if 0 <= stage < len(stages) else None
    return dict(locked.get(parent, {})) if parent is not None else {}


def _check_against_lock(inst: InstallCommand, locks: dict[str, tuple[str, str]], ctx: RuleContext) -> Iterator[Finding]:
    for p in inst.packages:
        if p.kind is not SpecKind.NAME or canonical(p.name) in TOOLING:
            continue
        entry = locks.get(canonical(p.name))
        if entry is None:
            lock_path = next(iter(locks.values()))[1]
            yield ctx.finding(
                inst.line,
                f"`{inst.display} {p.raw}` adds {p.name}, which {lock_path} does not lock: the image holds a "
                "package the lock never resolved together with the rest",
                hint=f"add {p.name} to the lock's source and recompile, instead of installing it on top",
            )
        elif entry[0] != "*" and p.version != entry[0]:
            got = f"{p.version}" if p.pinned else "whatever the index holds"
            yield ctx.finding(
                inst.line,
                f"`{inst.display} {p.raw}` replaces {p.name} {entry[0]} from {entry[1]} with {got}",
                hint="change the version in the lock's source and recompile; install only the lock",
            )


def _exact(text: str) -> bool:
    return re.fullmatch(r"\d+\.\d+(\.\d+)?", text.strip()) is not None


def python_fits(image: str, made_for: str) -> bool | None:
    """Does the image's Python satisfy what a lock was made for ("3.11", ">=3.10", poetry's "^3.10")?"""
    if _exact(made_for):
        want = made_for.strip().split(".")
        have = image.split(".")
        n = min(len(want), len(have))
        return want[:n] == have[:n]
    from reprocheck.parsing.pyproject import poetry_constraint
    from reprocheck.rules.drift import _contains

    spec = poetry_constraint(made_for) if re.search(r"[\^~](?!=)|\s\d|^\d", made_for) else made_for
    candidates = [image] if image.count(".") >= 2 else [f"{image}.0", f"{image}.99"]
    results = [_contains(spec, c) for c in candidates]
    if any(r is None for r in results):
        return None
    return any(results)


def _made_for(item: InstalledFile) -> DependencyFile | None:
    for f in (item.lock, item.file):
        if f is not None and f.python and f.kind is not DepKind.CONDA_ENV:
            return f
    return None


@rule(
    "RC703",
    "python-version-mismatch",
    Severity.ERROR,
    "The image's Python is not the Python the lock was made for",
    on=Project,
    fix=FixKind.UNSAFE,
)
def python_version_mismatch(project: Project, ctx: RuleContext) -> Iterator[Finding]:
    seen: set[tuple[int, str]] = set()
    for item in project.installed:
        f = _made_for(item)
        if f is None or item.python is None or f.python is None or (item.line, f.path) in seen:
            continue
        seen.add((item.line, f.path))
        if python_fits(item.python.version, f.python) is False:
            what = f"Python {f.python}" if _exact(f.python) else f"Python `{f.python}`"
            finding = ctx.finding(
                item.line,
                f"{f.path} was made for {what}, but the image runs Python {item.python.version} "
                f"({item.python.how}): markers and wheels were chosen for another interpreter",
                hint="lock again with the image's Python (pip-compile/uv `--python-version`), or change the base image",
            )
            from dataclasses import replace

            yield replace(finding, related=(Location(f.path, f.python_line),))


@rule(
    "RC704",
    "lock-lacks-platform-files",
    Severity.ERROR,
    "A locked package has no wheel or sdist for the image's platform (a lock made on another OS)",
    on=Project,
    fix=FixKind.UNSAFE,
)
def lock_lacks_platform_files(project: Project, ctx: RuleContext) -> Iterator[Finding]:
    done: set[str] = set()
    for item in project.installed:
        lock = item.lock or (item.file if item.file is not None and item.file.kind.is_lock else None)
        if lock is None or lock.kind not in (DepKind.UV_LOCK, DepKind.POETRY_LOCK) or lock.path in done:
            continue
        done.add(lock.path)
        python = item.python.version if item.python else None
        source = item.file if item.lock is not None else None
        for pkg in unfit_packages(lock, source, python, item.platform, item.libc):
            shown = ", ".join(sorted({f.filename.rsplit("-", 1)[-1].removesuffix(".whl") for f in pkg.files})[:3])
            finding = ctx.finding(
                pkg.line,
                f"{pkg.name} {pkg.version} has no file for {item.platform} (Python {python or 'any'}), the platform of "
                f"{project.dockerfile.path}:{item.line}; the lock lists only {shown}",
                hint="lock for linux too (uv locks every platform; `poetry lock` on linux), or pin a version that "
                "ships a manylinux wheel or an sdist",
                path=lock.path,
            )
            from dataclasses import replace

            yield replace(finding, related=(Location(project.dockerfile.path, item.line),))


@rule(
    "RC705",
    "build-context-file-missing",
    Severity.ERROR,
    "A file the Dockerfile copies or installs is not in the build context, or .dockerignore drops it",
    on=Project,
    fix=FixKind.UNSAFE,
)
def build_context_file_missing(project: Project, ctx: RuleContext) -> Iterator[Finding]:
    for c in project.copies:
        if not c.exists:
            yield ctx.finding(
                c.line,
                f"`{c.source}` is not in the build context `{project.context}`: the build fails here",
                hint="add the file, fix the path, or build from the right context directory",
            )
        elif c.ignored_by and c.within is not None:
            hint = f"add an exception line `!{c.source}` to .dockerignore (after the pattern), or narrow the pattern"
            head = f"`{c.source}` is excluded by {c.ignored_by}, so `COPY {c.within}` sends the directory without it"
            if c.reached:
                yield ctx.finding(c.line, f"{head}, but {c.named_by} names it: the container will not find it", hint)
                continue
            # named by code the smoke command is not known to run: a guess, said as one (a warning)
            from dataclasses import replace

            why = (
                "the smoke command neither runs nor imports that script"
                if c.reached is False
                else "no smoke command tells whether the container runs that script"
            )
            yield replace(
                ctx.finding(
                    c.line,
                    f"{head}; {c.named_by} names it, but {why}: the container may never open it",
                    hint + " if the container needs it; else nothing to do",
                ),
                severity=Severity.WARNING,
            )
        elif c.ignored_by:
            yield ctx.finding(
                c.line,
                f"`{c.source}` is excluded by {c.ignored_by}: the image gets nothing (or less) from this COPY",
                hint="remove the pattern from .dockerignore or add an exception line (`!path`)",
            )
    for item in project.installed:
        if item.reason:
            name = item.image_path.rstrip("/").rsplit("/", 1)[-1]
            earlier = [
                c for c in project.copies if c.line < item.line and c.source.rstrip("/").rsplit("/", 1)[-1] == name
            ]
            if any(not c.exists or c.ignored_by for c in earlier):
                continue  # that COPY's own finding names the cause and the fix: not a second, vaguer one
            hint = (
                f"line {earlier[0].line} copies `{earlier[0].source}`, but {item.reason}: add the file to the build "
                "context (and keep it out of .dockerignore)"
                if earlier
                else "copy the file into the image before this RUN, and keep it out of .dockerignore"
            )
            yield ctx.finding(
                item.line, f"`{item.install.command.text(60)}` reads {item.image_path}: {item.reason}", hint=hint
            )
