"""RC703: a requirements lock compiled for another Python than the image's is compiled again, from its
``.in`` source, for the image's interpreter and platform: ``uv pip compile --python-version X.Y
--python-platform <the image's>`` (pip-compile can only compile for the Python it runs on). The existing lock
gives its pins as preferences, as it does to pip-compile. Unsafe: markers evaluated for the image's Python can
pick other versions or other packages. uv is a dependency of reprocheck (found next to it, else on PATH).

RC704: a uv.lock whose packages have no file for the image's platform. uv already locks every platform,
so locking again changes nothing; what makes uv choose versions that ship a file for linux is the project
declaring the platform it must install on: fix adds the image's environment to ``[tool.uv]
required-environments`` in pyproject.toml (one line inserted, the rest of the file as it was) and runs
``uv lock`` with it. Unsafe: other versions are picked. When the index has no such version, uv says so and
both files stay as they were; poetry and Pipfile locks are left to be locked on linux by hand.

RC702: a ``pip install`` after the lock that contradicts it. The lock is the source of truth, so the image
is made to hold what the lock says (unsafe: the build installs something else than today):

- a locked package installed at another version: the word is rewritten to the lock's version
  (``numpy==1.25.2`` -> ``numpy==1.26.4``);
- a package the lock does not have: it is added to the lock's source (``requirements.in``, as written in the
  Dockerfile) and the lock is recompiled with pip-compile, the old pins preferred, so the package is
  resolved together with the rest; an unpinned word is then pinned to the version the new lock holds.

Only pip-tools locks with a source next to them are recompiled; other locks (uv, poetry, pipenv) and a lock
without a source leave the finding with the command to run.

RC705 for a file the Dockerfile needs and ``.dockerignore`` drops: an exception line ``!path`` is appended
to the ignore file the build reads (``<Dockerfile>.dockerignore``, else the context's ``.dockerignore``).
Unsafe: the image then holds a file it did not before (the build that failed, or the container that could
not find the file, now works). Sources missing from the context, and sources written as patterns, have no
fix: the finding stays and says why."""

from __future__ import annotations

import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reprocheck.errors import LookupFailed
from reprocheck.fix.drift import TOOLS, relock
from reprocheck.fix.lookups.compiler import Compile, compile_requirements, uv_platform
from reprocheck.fix.machinery.api import FixContext, Fixer, NewFile, Outcome, Target
from reprocheck.fix.machinery.tools import copy_inputs, find_tool, run_tool, tool_env
from reprocheck.fix.python_install import admits, name_end
from reprocheck.fix.text.edits import Edit
from reprocheck.fix.text.words import Span, command_spans
from reprocheck.lint import files
from reprocheck.model.deps import DependencyFile, DepKind
from reprocheck.model.dockerfile import RunInstruction
from reprocheck.model.finding import Finding, Severity
from reprocheck.model.install import InstallCommand, PackageSpec, SpecKind
from reprocheck.model.location import Location
from reprocheck.model.names import canonical
from reprocheck.model.project import InstalledFile
from reprocheck.parsing.depfiles import parse_dependency_file
from reprocheck.parsing.platform import unfit_packages

PYTHON_RULE = "RC703"


def _requirements_lock_of(item: InstalledFile) -> Path:
    for f in (item.lock, item.file):
        if f is not None and f.python and f.kind is DepKind.REQUIREMENTS:
            return Path(f.path)
    raise LookupFailed("only requirements locks are compiled again here; lock the project with its own tool")


def recompile(ctx: FixContext, item: InstalledFile) -> NewFile:
    """The lock ``item`` installs, compiled for the image's Python and platform. Raises LookupFailed."""
    lock = _requirements_lock_of(item)
    source = lock.with_suffix(".in")
    if not source.is_file() or not ctx.inside(source) or not ctx.inside(lock):
        raise LookupFailed(f"{lock.name} has no {source.name} next to it to compile from")
    if item.python is None:
        raise LookupFailed("the image's Python is not known")
    python = ".".join(item.python.version.split(".")[:2])
    platform = uv_platform(item.platform, item.libc)
    if platform is None:
        raise LookupFailed(f"uv has no platform for {item.platform}")
    if ctx.options.offline:
        raise LookupFailed("compiling a lock needs the package index, and --offline forbids it")
    exe = find_tool("uv")
    shown = f"uv pip compile --python-version {python} --python-platform {platform} --generate-hashes"
    shown += f" -o {lock.name} {source.name}"
    command = [exe, "pip", "compile", "--quiet", "--python-version", python, "--python-platform", platform]
    command += ["--generate-hashes", "--no-emit-index-url", "--custom-compile-command", shown]
    if ctx.options.index_url:
        command += ["--default-index", ctx.options.index_url]
    command += ["-o", lock.name, source.name]
    with tempfile.TemporaryDirectory(prefix="reprocheck-lock-", ignore_cleanup_errors=True) as name:
        work = Path(name) / "project"
        copy_inputs(source.parent, (source.name, lock.name), work)
        run_tool(command, work, tool_env(Path(name)), "uv pip compile")
        content = (work / lock.name).read_text(encoding="utf-8")
    return NewFile(lock, content, PYTHON_RULE, f"{lock.name} compiled for Python {python} on {platform}")


def fix_lock_python(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    if target.project is None:
        return out
    for f in findings:
        if f.rule != PYTHON_RULE or not ctx.allows(PYTHON_RULE):
            continue
        item = next((i for i in target.project.installed if i.line == f.location.line), None)
        if item is None:
            continue
        try:
            out.new_files.append(recompile(ctx, item))
        except LookupFailed as exc:
            out.fail(f, f"{exc}; compile the lock with the image's Python (`uv pip compile --python-version`)")
    return out


PYTHON_FIXER = Fixer(frozenset({PYTHON_RULE}), fix_lock_python)


PLATFORM_RULE = "RC704"
_MACHINE = {"linux/amd64": "x86_64", "linux/arm64": "aarch64", "linux/arm64/v8": "aarch64"}


def environment_marker(platform: str) -> str | None:
    """The PEP 508 marker of a Docker platform (``linux/amd64``), or None for one uv cannot name."""
    machine = _MACHINE.get(platform)
    return f"sys_platform == 'linux' and platform_machine == '{machine}'" if machine else None


def with_required_environment(text: str, marker: str) -> str:
    """``text`` (a pyproject.toml) with ``marker`` in ``[tool.uv] required-environments``: one line after an
    existing ``[tool.uv]`` header, or a new table at the end. Raises LookupFailed when the key is already
    there (a list to extend by hand) or the result would not parse."""
    try:
        uv = tomllib.loads(text).get("tool", {}).get("uv", {})
    except tomllib.TOMLDecodeError as exc:
        raise LookupFailed(f"pyproject.toml does not parse: {exc}") from None
    if "required-environments" in uv:
        raise LookupFailed(f'add "{marker}" to [tool.uv] required-environments in pyproject.toml')
    newline = "\r\n" if "\r\n" in text else "\n"
    line = f"required-environments = [{_quoted(marker)}]{newline}"
    lines = text.splitlines(keepends=True)
    header = next((k for k, ln in enumerate(lines) if ln.split("#", 1)[0].strip() == "[tool.uv]"), None)
    if header is not None:
        new = "".join(lines[: header + 1]) + line + "".join(lines[header + 1 :])
    else:
        body = text if not text or text.endswith(("\n", "\r")) else text + newline
        new = f"{body}{newline}[tool.uv]{newline}{line}"
    try:
        parsed = tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise LookupFailed(f"cannot add required-environments to pyproject.toml: {exc}") from None
    if parsed.get("tool", {}).get("uv", {}).get("required-environments") != [marker]:
        raise LookupFailed("cannot add required-environments to pyproject.toml")
    return new


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fix_item(ctx: FixContext, item: InstalledFile, out: Outcome) -> None:
    lock = item.lock or (item.file if item.file is not None and item.file.kind.is_lock else None)
    if lock is None or lock.kind is not DepKind.UV_LOCK:
        return
    source = item.file if item.lock is not None else None
    python = item.python.version if item.python else None
    unfit = unfit_packages(lock, source, python, item.platform, item.libc)
    if not unfit:
        return
    failures = [
        Finding(PLATFORM_RULE, Severity.ERROR, "", Location(lock.path, p.line)) for p in unfit
    ]  # matched to lint's findings by rule, file and line
    directory = Path(lock.path).parent
    pyproject = directory / "pyproject.toml"
    try:
        marker = environment_marker(item.platform)
        if marker is None:
            raise LookupFailed(f"uv has no environment marker for {item.platform}")
        if not ctx.inside(pyproject) or pyproject.is_symlink() or not pyproject.is_file():
            raise LookupFailed("no pyproject.toml (a regular file in the project) next to uv.lock")
        text = pyproject.read_bytes().decode("utf-8")
        new = with_required_environment(text, marker)
        locked = relock(ctx, directory, TOOLS[0], {"pyproject.toml": new})
    except (LookupFailed, UnicodeDecodeError) as exc:
        for f in failures:
            out.fail(f, f"{exc}; declare the image's platform in [tool.uv] required-environments and run `uv lock`")
        return
    out.new_files.append(NewFile(pyproject, new, PLATFORM_RULE, f"[tool.uv] required-environments: {marker}"))
    out.new_files.append(NewFile(locked.path, locked.content, PLATFORM_RULE, f"`uv lock` for {item.platform}"))


def fix_lock_platform(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    if target.project is None or not ctx.allows(PLATFORM_RULE):
        return out
    done: set[str] = set()
    for item in target.project.installed:
        key = item.lock.path if item.lock else item.path or ""
        if key not in done:
            done.add(key)
            _fix_item(ctx, item, out)
    return out


PLATFORM_FIXER = Fixer(frozenset({PLATFORM_RULE}), fix_lock_platform, every_dockerfile=True)


OVERRIDE_RULE = "RC702"
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
    end = name_end(spec.raw)
    return Edit(target.shown, span.line, span.start, span.end, f"{spec.raw[:end]}=={version}", OVERRIDE_RULE, why)


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


def _lines_appended(text: str, lines: Sequence[str]) -> str:
    ending = "\r\n" if "\r\n" in text else "\n"
    if text and not text.endswith(("\n", "\r")):
        text += ending
    return text + "".join(f"{line}{ending}" for line in lines)


def _recompile(ctx: FixContext, source: Path, text: str, lock: Path, python: str | None) -> tuple[str, dict[str, str]]:
    """The lock pip-compile makes of ``text`` (the new source), preferring ``lock``'s pins, and its versions.
    Raises LookupFailed."""
    if ctx.options.offline:
        raise LookupFailed("recompiling the lock needs the package index, and --offline forbids it")
    with tempfile.TemporaryDirectory(prefix="reprocheck-fix-") as tmp:
        (Path(tmp) / source.name).write_text(text, encoding="utf-8", newline="")
        out = Path(tmp) / lock.name
        old = parse_dependency_file(lock.read_bytes(), str(lock), DepKind.REQUIREMENTS)
        out.write_text("".join(f"{d.name}=={d.spec.version}\n" for d in old.dependencies if d.spec.pinned))
        job = Compile(source.name, out, hashes=True, index_url=ctx.options.index_url, lock_name=lock.name)
        compile_requirements(job, Path(tmp), python, ctx.options.platform)
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
    if target.dockerfile is None or target.project is None or not ctx.allows(OVERRIDE_RULE):
        return out  # unsafe: nothing to propose (and no lock to write) without --unsafe-fixes
    flagged: dict[int, list[Finding]] = {}
    for f in findings:
        if f.rule == OVERRIDE_RULE:
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
            if not admits(spec.raw, name_end(spec.raw), version) and "==" not in spec.raw:
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
        new_text = _lines_appended(text, list(dict.fromkeys(spec.raw for spec, *_ in wanted)))
        try:
            content, relocked = _recompile(ctx, source, new_text, lock_path, python)
        except LookupFailed as exc:
            for _, _, finding, _ in wanted:
                out.fail(finding, str(exc))
            continue
        added = ", ".join(dict.fromkeys(spec.raw for spec, *_ in wanted))
        out.new_files.append(NewFile(source, new_text, OVERRIDE_RULE, f"adds {added}, installed on top of the lock"))
        out.new_files.append(NewFile(lock_path, content, OVERRIDE_RULE, f"recompiled with {added}"))
        for spec, span, _, _ in wanted:
            pinned = relocked.get(canonical(spec.name))
            if pinned and spec.version != pinned:
                why = f"{spec.raw} pinned to {pinned} as the new lock has it"
                out.edits.append(_pin(target, span, spec, pinned, why))


OVERRIDE_FIXER = Fixer(frozenset({OVERRIDE_RULE}), fix_lock_overrides)


IGNORE_RULE = "RC705"
_SPECIAL = frozenset("*?[]\\!#")


def _ignore_file(dockerfile: Path, context: Path) -> Path | None:
    """The ignore file the build reads, as the engine picks it (the Dockerfile's own wins)."""
    for candidate in (dockerfile.with_name(dockerfile.name + ".dockerignore"), context / ".dockerignore"):
        if files.is_regular(candidate):
            return candidate
    return None


def _appended(text: str, lines: Sequence[str]) -> str:
    ending = "\r\n" if "\r\n" in text else "\n"
    if text and not text.endswith(("\n", "\r")):
        text += ending
    return text + "".join(f"{line}{ending}" for line in lines)


def fix_ignored_sources(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    flagged = {f.location.line: f for f in findings if f.rule == IGNORE_RULE}
    project = target.project
    if not flagged or project is None or project.context is None:
        return out
    context = Path(project.context).resolve()
    wanted: dict[str, Finding] = {}
    for copy in project.copies:
        finding = flagged.get(copy.line)
        if finding is None:
            continue
        if not copy.exists:
            out.fail(finding, f"`{copy.source}` is not in the build context: add it or fix the path")
        elif copy.ignored_by:
            source = copy.source.strip().removeprefix("./")
            if not source or _SPECIAL & set(source) or source.startswith("/") or ".." in source.split("/"):
                out.fail(finding, f"`{copy.source}` is not a plain path: add the exception to .dockerignore by hand")
            else:
                wanted.setdefault(source, finding)
    if not wanted or not ctx.allows(IGNORE_RULE):
        return out
    ignore = _ignore_file(target.path, context)
    if ignore is None or not ctx.inside(ignore):
        for finding in wanted.values():
            out.fail(finding, "the ignore file is outside the paths given to fix")
        return out
    data = files.read_file(ignore, ignore.parent)
    if isinstance(data, files.Unreadable):
        for finding in wanted.values():
            out.fail(finding, f"{ignore.name} cannot be read: {data.message}")
        return out
    text = data.decode("utf-8", errors="surrogateescape")
    key = ("dockerignore", str(ignore))
    if ctx.cache.get(key):  # another Dockerfile of this run already rewrites it: one writer per file
        for finding in wanted.values():
            out.fail(finding, f"{ignore.name} is rewritten for another Dockerfile in this run: run fix again")
        return out
    ctx.cache[key] = True
    lines = [f"!{source}" for source in wanted]
    note = f"{', '.join(lines)}: the build sends {'these files' if len(lines) > 1 else 'this file'} again"
    out.new_files.append(NewFile(ignore, _appended(text, lines), IGNORE_RULE, note))
    return out


IGNORE_FIXER = Fixer(frozenset({IGNORE_RULE}), fix_ignored_sources)


FIXERS: tuple[Fixer, ...] = (
    PYTHON_FIXER,
    PLATFORM_FIXER,
    OVERRIDE_FIXER,
    IGNORE_FIXER,
)
