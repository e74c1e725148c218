"""RC702: a ``pip install`` after the lock that contradicts it. The lock is the source of truth, so the image
is made to hold what the lock says (unsafe: the build installs something else than today):

- a locked package installed at another version: the word is rewritten to the lock's version
  (``numpy==1.25.2`` -> ``numpy==1.26.4``);
- a package the lock does not have: it is added to the lock's source (``requirements.in``, as written in the
  Dockerfile) and the lock is recompiled with pip-compile, the old pins preferred, so the package is
  resolved together with the rest; an unpinned word is then pinned to the version the new lock holds.

Only pip-tools locks with a source next to them are recompiled; other locks (uv, poetry, pipenv) and a lock
without a source leave the finding with the command to run.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reprocheck.model.deps import DependencyFile, DepKind
from reprocheck.model.dockerfile import RunInstruction
from reprocheck.model.finding import Finding
from reprocheck.model.install import InstallCommand, PackageSpec, SpecKind
from reprocheck.model.names import canonical
from reprocheck.model.project import InstalledFile
from reprocheck.parsing.depfiles import parse_dependency_file

from ._api import FixContext, Fixer, FixKind, NewFile, Outcome, Target
from .edits import Edit
from .lock import TIMEOUT
from .oci import LookupFailed
from .pip_pins import _admits, _name_end
from .words import Span, command_spans

RULE = "RC702"
TOOLING = frozenset({"pip", "setuptools", "wheel", "uv", "poetry", "pipenv", "pip-tools", "build", "virtualenv"})


@dataclass(frozen=True, slots=True)
class _Lock:
    versions: dict[str, str]  # canonical name -> version ("*": several)
    item: InstalledFile


def _lock_of(item: InstalledFile) -> _Lock | None:
    """The versions an install fixes for the image (as RC702 reads them), or None."""
    if item.lock is not None:
        versions: dict[str, str] = {}
        for p in item.lock.locked:
            name = canonical(p.name)
            versions[name] = "*" if name in versions and versions[name] != p.version else p.version
        return _Lock(versions, item)
    f = item.file
    if f is not None and f.kind is DepKind.REQUIREMENTS and f.is_pinned:
        return _Lock({canonical(d.name): d.spec.version or "" for d in f.dependencies if d.spec.pinned}, item)
    return None


def _word(target: Target, ins: RunInstruction, inst: InstallCommand, spec: PackageSpec) -> Span | None:
    """Where ``spec`` is written in ``inst``, when plainly (no marker, no URL)."""
    spans = command_spans(target.source, ins, inst.command)
    if spans is None or ";" in spec.raw or "@" in spec.raw:
        return None
    k = next((k for k, w in enumerate(inst.command.argv) if k and w == spec.raw), None)
    if k is None:
        return None
    span = spans[k].inner()
    return span if span.written == spec.raw else None


def _pin(target: Target, span: Span, spec: PackageSpec, version: str, why: str) -> Edit:
    end = _name_end(spec.raw)
    return Edit(target.shown, span.line, span.start, span.end, f"{spec.raw[:end]}=={version}", RULE, why)


def _source_of(ctx: FixContext, lock: _Lock) -> tuple[Path, Path] | str:
    """(source, lock) paths of a pip-tools lock, or why it cannot be recompiled here."""
    item = lock.item
    f = item.file
    if item.lock is not None or f is None or item.path is None:
        tool = {"uv": "uv add", "poetry": "poetry add", "pipenv": "pipenv install"}.get(item.install.manager, "")
        how = f"`{tool} <name>==<version>`" if tool else "its own tool"
        return f"add it to the project with {how} and install only the lock"
    path = Path(item.path)
    source = path.with_suffix(".in")
    if not source.is_file() or source.is_symlink():
        return f"{path.name} has no source ({source.name}) to add it to; add it there and recompile by hand"
    if not ctx.inside(source):
        return f"{source.name} is outside the paths given to fix"
    parsed = parse_dependency_file(source.read_bytes(), str(source), DepKind.REQUIREMENTS_IN)
    if parsed.includes or parsed.constraints:
        return f"{source.name} includes other files (-r/-c); add it and recompile by hand"
    return source, path


def _appended(text: str, lines: Sequence[str]) -> str:
    ending = "\r\n" if "\r\n" in text else "\n"
    if text and not text.endswith(("\n", "\r")):
        text += ending
    return text + "".join(f"{line}{ending}" for line in lines)


def _recompile(ctx: FixContext, source: Path, text: str, lock: Path, python: str | None) -> tuple[str, dict[str, str]]:
    """The lock pip-compile makes of ``text`` (the new source), preferring ``lock``'s pins, and its versions.
    Raises LookupFailed."""
    if ctx.options.offline:
        raise LookupFailed("recompiling the lock needs the package index, and --offline forbids it")
    host = f"{sys.version_info.major}.{sys.version_info.minor}"
    if python and ".".join(python.split(".")[:2]) != host:
        raise LookupFailed(f"the image runs Python {python} and pip-compile here runs {host}")
    if importlib.util.find_spec("piptools") is None:
        raise LookupFailed("pip-tools is not installed next to reprocheck (pip install pip-tools)")
    with tempfile.TemporaryDirectory(prefix="reprocheck-fix-") as tmp:
        (Path(tmp) / source.name).write_text(text, encoding="utf-8", newline="")
        out = Path(tmp) / lock.name
        old = parse_dependency_file(lock.read_bytes(), str(lock), DepKind.REQUIREMENTS)
        out.write_text("".join(f"{d.name}=={d.spec.version}\n" for d in old.dependencies if d.spec.pinned))
        command = [sys.executable, "-m", "piptools", "compile", "--quiet", "--strip-extras", "--generate-hashes"]
        command += ["--no-emit-index-url", "--no-emit-trusted-host", "--no-emit-find-links"]
        if ctx.options.index_url:
            command += ["--index-url", ctx.options.index_url]
        command += ["--output-file", str(out), source.name]
        env = dict(os.environ)
        env["CUSTOM_COMPILE_COMMAND"] = f"pip-compile --generate-hashes --output-file={lock.name} {source.name}"
        try:
            proc = subprocess.run(command, cwd=tmp, env=env, capture_output=True, timeout=TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise LookupFailed(f"cannot run pip-compile: {exc}") from None
        if proc.returncode != 0 or not out.is_file():
            lines = [ln for ln in proc.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
            raise LookupFailed(f"pip-compile failed: {(lines or ['no output'])[-1].strip()[:300]}")
        content = out.read_text(encoding="utf-8")
    new: DependencyFile = parse_dependency_file(content.encode(), str(lock), DepKind.REQUIREMENTS)
    return content, {canonical(d.name): d.spec.version or "" for d in new.dependencies if d.spec.pinned}


_Key = tuple[int, tuple[str, ...]]
# (source, lock) -> the words to add: spec, where it is written, its finding, the install of the lock
_Missing = dict[tuple[Path, Path], list[tuple[PackageSpec, Span, Finding, InstalledFile]]]


def _stage_locks(target: Target) -> dict[_Key, dict[str, _Lock]]:
    """(line, words) of each pip install after a lock -> the locks in force there (name -> lock), walked as
    RC702 walks, over the project lint built (its own parse: matched to fix's parse by line and words)."""
    assert target.project is not None
    project = target.project
    by_install = {id(i.install): i for i in project.installed}
    stages = project.dockerfile.stages
    locked: dict[int, dict[str, _Lock]] = {}
    at: dict[_Key, dict[str, _Lock]] = {}
    for ins in project.dockerfile.instructions:
        if not isinstance(ins, RunInstruction):
            continue
        if ins.stage not in locked:
            parent = stages[ins.stage].parent if 0 <= ins.stage < len(stages) else None
            locked[ins.stage] = dict(locked.get(parent, {})) if parent is not None else {}
        current = locked[ins.stage]
        for inst in ins.installs:
            item = by_install.get(id(inst))
            if item is not None:
                lock = _lock_of(item)
                if lock is not None:
                    current.update(dict.fromkeys(lock.versions, lock))
                continue
            if current and inst.manager == "pip" and inst.action == "install" and not inst.requirement_files:
                at[(inst.line, inst.command.argv)] = dict(current)
    return at


def fix_lock_overrides(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    if target.dockerfile is None or target.project is None or not ctx.allows(RULE):
        return out  # unsafe: nothing to propose (and no lock to write) without --unsafe-fixes
    flagged: dict[int, list[Finding]] = {}
    for f in findings:
        if f.rule == RULE:
            flagged.setdefault(f.location.line, []).append(f)
    if not flagged:
        return out
    at = _stage_locks(target)
    missing: _Missing = {}  # every package to add, by lock: one recompile per lock for the whole Dockerfile
    for ins in target.dockerfile.instructions:
        if not isinstance(ins, RunInstruction):
            continue
        for inst in ins.installs:
            locks = at.get((inst.line, inst.command.argv))
            mine = flagged.get(inst.line)
            if locks is None or not mine:
                continue
            _fix_install(ctx, target, ins, inst, locks, mine, out, missing)
    _relock(ctx, target, missing, out)
    return out


def _finding_for(mine: Sequence[Finding], spec: PackageSpec) -> Finding:
    return next((f for f in mine if f"{spec.raw}`" in f.message), mine[0])


def _fix_install(
    ctx: FixContext,
    target: Target,
    ins: RunInstruction,
    inst: InstallCommand,
    locks: dict[str, _Lock],
    mine: Sequence[Finding],
    out: Outcome,
    missing: _Missing,
) -> None:
    for spec in inst.packages:
        name = canonical(spec.name)
        if spec.kind is not SpecKind.NAME or name in TOOLING:
            continue
        lock = locks.get(name)
        if lock is not None and lock.versions[name] in ("*", spec.version):
            continue
        finding = _finding_for(mine, spec)
        span = _word(target, ins, inst, spec)
        if span is None:
            out.fail(finding, f"`{spec.raw}` is not written plainly enough to edit")
            continue
        if lock is not None:
            version = lock.versions[name]
            if not version:
                out.fail(finding, f"the lock names no version of {spec.name}")
                continue
            if not _admits(spec.raw, _name_end(spec.raw), version) and "==" not in spec.raw:
                out.fail(finding, f"`{spec.raw}` does not admit {version}, the lock's version")
                continue
            where = lock.item.path or "the lock"
            out.edits.append(_pin(target, span, spec, version, f"{spec.raw} set to {version} as {where} locks it"))
            continue
        plan = _source_of(ctx, locks[next(iter(locks))])
        if isinstance(plan, str):
            out.fail(finding, plan)
            continue
        missing.setdefault(plan, []).append((spec, span, finding, locks[next(iter(locks))].item))


def _relock(ctx: FixContext, target: Target, missing: _Missing, out: Outcome) -> None:
    """Add the missing packages to each lock's source, recompile the lock, pin unpinned words to it."""
    for (source, lock_path), wanted in missing.items():
        item = wanted[0][3]
        python = item.python.version if item.python else None
        text = source.read_bytes().decode("utf-8", errors="surrogateescape")
        new_text = _appended(text, list(dict.fromkeys(spec.raw for spec, *_ in wanted)))
        try:
            content, relocked = _recompile(ctx, source, new_text, lock_path, python)
        except LookupFailed as exc:
            for _, _, finding, _ in wanted:
                out.fail(finding, str(exc))
            continue
        added = ", ".join(dict.fromkeys(spec.raw for spec, *_ in wanted))
        out.new_files.append(NewFile(source, new_text, RULE, f"adds {added}, installed on top of the lock"))
        out.new_files.append(NewFile(lock_path, content, RULE, f"recompiled with {added}"))
        for spec, span, _, _ in wanted:
            pinned = relocked.get(canonical(spec.name))
            if pinned and spec.version != pinned:
                why = f"{spec.raw} pinned to {pinned} as the new lock has it"
                out.edits.append(_pin(target, span, spec, pinned, why))


FIXER = Fixer({RULE: FixKind.UNSAFE}, fix_lock_overrides)
