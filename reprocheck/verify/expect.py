"""What an image should hold, read statically from the Dockerfile and the locks it installs from: the Python
packages (required ones, and ones merely allowed such as dev groups and constraints), the Python version the
lock was made for, the OS package versions the Dockerfile pins, and where the user and base images are set.

Pure: a parsed Dockerfile and Project in, an ``Expectation`` out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from reprocheck.model.deps import DependencyFile, DepKind, LockedPackage
from reprocheck.model.dockerfile import CopyInstruction, Dockerfile, FromInstruction, ImageRef, RunInstruction
from reprocheck.model.install import SpecKind
from reprocheck.model.names import canonical
from reprocheck.model.project import Project


@dataclass(frozen=True)
class LockEntry:
    name: str  # as the lock spells it
    versions: tuple[str, ...]  # acceptable versions; () = any
    path: str
    line: int
    required: bool  # must be installed (False: allowed, e.g. a dev group or a constraint)
    marker: str | None = None
    source: str = "registry"


@dataclass(frozen=True)
class OsPin:
    manager: str  # "apt" | "apk"
    name: str
    version: str
    path: str
    line: int


@dataclass(frozen=True)
class PipInstall:
    """A package named on a Dockerfile install line (not through a lock)."""

    name: str
    path: str
    line: int
    text: str


@dataclass(frozen=True)
class Expectation:
    dockerfile: str
    locks: tuple[str, ...] = ()
    entries: Mapping[str, tuple[LockEntry, ...]] = field(default_factory=dict)  # canonical name -> entries
    python: str | None = None  # "3.11" or a specifier such as ">=3.10,<3.13"
    python_path: str = ""
    python_line: int = 1
    os_pins: tuple[OsPin, ...] = ()
    pip_installs: Mapping[str, tuple[PipInstall, ...]] = field(default_factory=dict)
    user: str | None = None  # the last USER of the final stage's chain, None when never set
    user_line: int = 1
    base_line: int = 1  # FROM line of the final stage
    bases: tuple[tuple[ImageRef, int], ...] = ()  # external base images of the stages that reach the image


def relevant_stages(df: Dockerfile, target: str | None = None) -> set[int]:
    """The final stage (or ``target``) and every stage it builds on or copies from."""
    if not df.stages:
        return set()
    by_name = {s.alias.lower(): s.index for s in df.stages if s.alias}
    final = by_name.get(target.lower(), len(df.stages) - 1) if target else len(df.stages) - 1
    seen: set[int] = set()
    todo = [final]
    while todo:
        k = todo.pop()
        if k in seen or not 0 <= k < len(df.stages):
            continue
        seen.add(k)
        parent = df.stages[k].parent
        if parent is not None:
            todo.append(parent)
        for ins in df.in_stage(k):
            if isinstance(ins, CopyInstruction) and ins.from_stage:
                ref = ins.from_stage.lower()
                if ref in by_name:
                    todo.append(by_name[ref])
                elif ref.isdigit():
                    todo.append(int(ref))
    return seen


def final_stage(df: Dockerfile, target: str | None = None) -> int:
    return df.final_stage(target)


def _lock_entries(f: DependencyFile, required_role: bool) -> Iterable[LockEntry]:
    """The packages of one lock or requirements file; ``required_role`` is False for constraints."""
    if f.kind in (DepKind.REQUIREMENTS, DepKind.REQUIREMENTS_IN) and not f.locked:
        for d in f.dependencies:
            if not d.name or d.spec.kind is SpecKind.VARIABLE:
                continue
            versions = (d.spec.version,) if d.spec.pinned and d.spec.version and d.spec.kind is SpecKind.NAME else ()
            yield LockEntry(d.name, versions, f.path, d.line, required_role, d.marker, d.spec.kind.value)
        return
    required = _required_locked(f)
    reach = reach_markers(f) if f.kind in (DepKind.UV_LOCK, DepKind.POETRY_LOCK) else {}
    for p in f.locked:
        yield LockEntry(
            p.name,
            (p.version,) if p.version else (),
            f.path,
            p.line,
            required_role and p.name in required,
            _both(p.marker, reach.get(canonical(p.name))),
            p.source,
        )


_MAX_CONDITIONS = 8
_MAX_MARKER = 600


def _both(a: str | None, b: str | None) -> str | None:
    if a and b:
        return f"({a}) and ({b})"
    return a or b


def reach_markers(f: DependencyFile) -> dict[str, str | None]:
    """For each package of a uv.lock or poetry.lock, the condition under which the dependency graph pulls it
    in, from the markers on the edges (colorama via click only ``sys_platform == 'win32'``); None when some
    path to it has no marker. Roots are uv's editable/virtual projects, or poetry's packages nobody requires."""
    by_name: dict[str, list[LockedPackage]] = {}
    for p in f.locked:
        by_name.setdefault(canonical(p.name), []).append(p)
    if f.kind is DepKind.UV_LOCK:
        roots = {canonical(p.name) for p in f.locked if p.source in ("editable", "virtual")}
    else:
        required = {canonical(e.name) for p in f.locked for e in p.dependencies}
        roots = set(by_name) - required
    # name -> None (always) or a set of alternative conditions
    cond: dict[str, set[str] | None] = dict.fromkeys(roots)
    todo = list(roots)
    while todo:
        parent = todo.pop()
        here = cond[parent]
        for pkg in by_name.get(parent, ()):
            for edge in (*pkg.dependencies, *(e for es in pkg.optional.values() for e in es)):
                child = canonical(edge.name)
                new: set[str] | None
                if here is None:
                    new = {edge.marker} if edge.marker else None
                else:
                    new = {_both(c, edge.marker) or c for c in here}
                if new is not None and (len(new) > _MAX_CONDITIONS or any(len(c) > _MAX_MARKER for c in new)):
                    new = None  # too intricate to keep: treat as always
                old = cond.get(child, set())
                if child in cond and old is None:
                    continue
                merged = None if new is None else (old or set()) | new
                if child not in cond or merged != old:
                    if merged is not None and len(merged) > _MAX_CONDITIONS:
                        merged = None
                    cond[child] = merged
                    todo.append(child)
    return {name: (None if c is None else " or ".join(f"({m})" for m in sorted(c))) for name, c in cond.items()}


def _required_locked(f: DependencyFile) -> set[str]:
    """Names a plain install of the lock puts in the image (main dependencies, no dev groups)."""
    if f.kind is DepKind.POETRY_LOCK:
        return {p.name for p in f.locked if not p.groups or "main" in p.groups}
    if f.kind is DepKind.PIPFILE_LOCK:
        return {p.name for p in f.locked if not p.groups or "default" in p.groups}
    if f.kind is DepKind.UV_LOCK:
        return _uv_reachable(f.locked)
    if f.kind is DepKind.CONDA_LOCK:
        return {p.name for p in f.locked if p.manager == "pip"}
    return {p.name for p in f.locked}


def _uv_reachable(locked: Sequence[LockedPackage]) -> set[str]:
    """Packages reachable from the project (editable/virtual roots) through main dependencies and extras the
    roots ask for; the roots themselves are allowed but not required (``--no-install-project``)."""
    by_name: dict[str, list[LockedPackage]] = {}
    for p in locked:
        by_name.setdefault(canonical(p.name), []).append(p)
    roots = [p for p in locked if p.source in ("editable", "virtual")]
    seen: set[str] = set()
    todo = [(e.name, e.extras) for r in roots for e in r.dependencies]
    while todo:
        name, extras = todo.pop()
        key = canonical(name)
        if key in seen and not extras:
            continue
        seen.add(key)
        for pkg in by_name.get(key, []):
            todo.extend((e.name, e.extras) for e in pkg.dependencies if canonical(e.name) not in seen)
            for extra in extras:
                todo.extend((e.name, e.extras) for e in pkg.optional.get(extra, ()))
    return {p.name for p in locked if canonical(p.name) in seen and p.source not in ("editable", "virtual")}


def expectation(
    df: Dockerfile,
    project: Project | None,
    locks: Sequence[DependencyFile] = (),
    target: str | None = None,
) -> Expectation:
    """What the image built from ``df`` should hold. ``locks`` (from the config) replace the locks the
    Dockerfile's installs read."""
    stages = relevant_stages(df, target)
    stage_of = {ins.line: ins.stage for ins in df.instructions}
    files: list[tuple[DependencyFile, bool]] = []
    if locks:
        files = [(f, True) for f in locks]
    elif project is not None:
        for inst in project.installed:
            if stage_of.get(inst.line) not in stages:
                continue
            if inst.lock is not None:
                files.append((inst.lock, True))
            elif inst.file is not None and inst.file.kind in (DepKind.REQUIREMENTS, DepKind.REQUIREMENTS_IN):
                files.append((inst.file, inst.role != "constraints"))
            elif inst.file is not None and inst.file.kind is DepKind.CONDA_LOCK:
                files.append((inst.file, True))
    entries: dict[str, list[LockEntry]] = {}
    shown: list[str] = []
    python = python_path = None
    python_line = 1
    for f, required in files:
        if f.path not in shown:
            shown.append(f.path)
        for e in _lock_entries(f, required):
            entries.setdefault(canonical(e.name), []).append(e)
        if python is None and f.python:
            python, python_path, python_line = f.python, f.path, f.python_line
    os_pins: list[OsPin] = []
    pip_installs: dict[str, list[PipInstall]] = {}
    user: str | None = None
    user_line = 1
    bases: list[tuple[ImageRef, int]] = []
    final = final_stage(df, target)
    chain = _chain(df, final)
    for ins in df.instructions:
        if ins.stage not in stages or ins.onbuild:
            continue
        if isinstance(ins, FromInstruction):
            if not ins.image.is_stage_ref and not ins.image.is_scratch:
                bases.append((ins.image, ins.line))
        elif ins.keyword == "USER" and ins.stage in chain:
            user, user_line = ins.value.strip(), ins.line
        elif isinstance(ins, RunInstruction):
            for cmd in ins.installs:
                for spec in cmd.packages:
                    if cmd.manager in ("apt", "apk") and spec.pinned and spec.version:
                        os_pins.append(OsPin(cmd.manager, spec.name, spec.version, df.path, ins.line))
                    elif cmd.manager in ("pip", "uv") and spec.name and spec.kind is not SpecKind.VARIABLE:
                        pip_installs.setdefault(canonical(spec.name), []).append(
                            PipInstall(spec.name, df.path, ins.line, cmd.command.text(60))
                        )
    base_line = df.stages[final].line if df.stages else 1
    return Expectation(
        dockerfile=df.path,
        locks=tuple(shown),
        entries={k: tuple(v) for k, v in entries.items()},
        python=python,
        python_path=python_path or "",
        python_line=python_line,
        os_pins=tuple(os_pins),
        pip_installs={k: tuple(v) for k, v in pip_installs.items()},
        user=user,
        user_line=user_line if user is not None else base_line,
        base_line=base_line,
        bases=tuple(bases),
    )


def _chain(df: Dockerfile, stage: int) -> set[int]:
    out: set[int] = set()
    k: int | None = stage
    while k is not None and k not in out and 0 <= k < len(df.stages):
        out.add(k)
        k = df.stages[k].parent
    return out
