"""Requirements locks: a project that installs ``requirements.in`` or a floating ``requirements.txt`` gets a
hashed lock next to it, compiled for the Python and platform the image runs (``fix/lookups/compiler.py``:
``pip-compile --generate-hashes`` when that is reprocheck's own Python, ``uv pip compile --python-version
--python-platform`` otherwise), and its Dockerfile installs that lock with ``--require-hashes``. Unsafe: the
lock holds what the index serves today.

``x.in`` compiles to ``x.txt`` (an existing ``x.txt`` gives its pins as preferences, as pip-compile does).
A floating ``x.txt`` with no ``x.in`` becomes the source: its text moves to ``x.in`` and ``x.txt`` is
overwritten by the lock.

RC601 in the ``pip:`` section of a conda environment file: ``requests>=2.31`` becomes ``requests==<version>``,
the version pip-compile picks today on the index for the environment's Python (as RC301 pins a loose
``pip install``). Unsafe: today's resolution. The conda entries themselves (RC606) need conda's solver and
channels, which fix does not run: they are left as they are."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from reprocheck.errors import LookupFailed
from reprocheck.fix.lookups.compiler import Compile, compile_requirements, minor
from reprocheck.fix.machinery.api import FixContext, Fixer, NewFile, Outcome, Target, explain
from reprocheck.fix.text.edits import Edit
from reprocheck.fix.text.image_sites import whole_word
from reprocheck.fix.text.words import command_spans
from reprocheck.model.deps import DependencyFile, DepKind
from reprocheck.model.dockerfile import CopyInstruction, RunInstruction
from reprocheck.model.finding import Finding
from reprocheck.model.install import SpecKind
from reprocheck.model.names import canonical
from reprocheck.model.project import InstalledFile
from reprocheck.parsing.depfiles import dep_kind_of, parse_dependency_file

RULES = ("RC701", "RC601", "RC602", "RC603", "RC611", "RC612")


def _plan(path: Path) -> tuple[Path, Path, bool]:
    """(source, lock, move): the file pip-compile reads, the lock it writes, and whether the source is to
    be made from the floating lock's text."""
    if path.suffix == ".in":
        return path, path.with_suffix(".txt"), False
    sibling = path.with_suffix(".in")
    if sibling.is_file():
        return sibling, path, False
    return sibling, path, True


def compile_lock(
    ctx: FixContext, path: Path, python: str | None = None, platform: str | None = None, libc: str = "glibc"
) -> list[NewFile]:
    """The files to write so that ``path`` (a source, or a floating requirements file) has a hashed lock for
    the image's ``python`` and ``platform``. Raises LookupFailed when no resolver can make one."""
    source, lock, move = _plan(path)
    if ctx.options.offline:
        raise LookupFailed("a lock needs the package index, and --offline forbids it")

    def run() -> list[NewFile] | LookupFailed:
        try:
            return _compile(ctx, source, lock, move, python, platform, libc)
        except LookupFailed as exc:
            return exc

    key = ("lock", str(source.resolve()), str(lock.resolve()), minor(python) or "", platform or "", libc)
    found = ctx.cached(key, run)
    if isinstance(found, LookupFailed):
        raise found
    return list(found)


def _preferences(lock: Path) -> str:
    """The existing lock's pins, for pip-compile to prefer; without their hashes, which pip would enforce
    (a lock whose files changed on the index would stop the compile instead of being refreshed)."""
    parsed = parse_dependency_file(lock.read_bytes(), str(lock), DepKind.REQUIREMENTS)
    pins = [f"{d.name}=={d.spec.version}\n" for d in parsed.dependencies if d.spec.pinned and d.spec.version]
    return "".join(pins)


def _compile(
    ctx: FixContext, source: Path, lock: Path, move: bool, python: str | None, platform: str | None, libc: str
) -> list[NewFile]:
    files: list[NewFile] = []
    with tempfile.TemporaryDirectory(prefix="reprocheck-fix-") as tmp:
        out = Path(tmp) / lock.name
        cwd = source.parent
        src_name = source.name
        if move:
            text = lock.read_text(encoding="utf-8")
            floating = parse_dependency_file(text.encode(), str(lock), DepKind.REQUIREMENTS)
            if floating.includes or floating.constraints:
                raise LookupFailed(f"{lock.name} includes other files (-r/-c); compile it by hand")
            cwd = Path(tmp) / "src"
            cwd.mkdir()
            (cwd / src_name).write_text(text, encoding="utf-8")
            files.append(NewFile(source, text, "RC601", f"the requirements of {lock.name}, as the lock's source"))
        elif lock.is_file() and not lock.is_symlink():
            out.write_text(_preferences(lock), encoding="utf-8")
        job = Compile(src_name, out, hashes=True, index_url=ctx.options.index_url, lock_name=lock.name)
        compile_requirements(job, cwd, python, platform, libc)
        files.append(NewFile(lock, out.read_text(encoding="utf-8"), "RC701", f"hashed lock of {src_name}"))
    return files


def resolve_versions(ctx: FixContext, requirements: Sequence[str], python: str | None = None) -> dict[str, str]:
    """Canonical name -> the version pip-compile picks today for ``requirements`` (one resolution, top-level
    and transitive). Raises LookupFailed."""
    from reprocheck.model.names import canonical

    if ctx.options.offline:
        raise LookupFailed("resolving needs the package index, and --offline forbids it")

    def run() -> dict[str, str] | LookupFailed:
        with tempfile.TemporaryDirectory(prefix="reprocheck-fix-") as tmp:
            src, out = Path(tmp) / "wanted.in", Path(tmp) / "wanted.txt"
            src.write_text("".join(f"{r}\n" for r in requirements), encoding="utf-8")
            job = Compile(src.name, out, plain=True, allow_unsafe=True, index_url=ctx.options.index_url)
            try:
                compile_requirements(job, Path(tmp), python, ctx.options.platform)
            except LookupFailed as exc:
                return exc
            versions: dict[str, str] = {}
            for line in out.read_text(encoding="utf-8").splitlines():
                name, eq, version = line.split(";", 1)[0].strip().partition("==")
                if eq and name and not name.startswith(("#", "-")):
                    versions[canonical(name.split("[", 1)[0])] = version.strip()
            return versions

    found = ctx.cached(("resolve", minor(python) or "", *requirements), run)
    if isinstance(found, LookupFailed):
        raise found
    return dict(found)


def _needs_lock(f: DependencyFile) -> bool:
    if f.kind is DepKind.REQUIREMENTS_IN:
        return True
    return f.kind is DepKind.REQUIREMENTS and not (f.is_pinned and all(d.hashes for d in f.dependencies))


def _replace_suffix(word: str, old: str, new: str) -> str | None:
    return word[: -len(old)] + new if word.endswith(old) and old != new else None


def _dockerfile_edits(target: Target, item: InstalledFile, lock: Path, source_name: str) -> list[Edit]:
    """Install ``lock`` instead of ``source_name``, with --require-hashes; copy it instead of the source."""
    assert target.dockerfile is not None
    edits: list[Edit] = []
    run = next(
        (
            i
            for i in target.dockerfile.instructions
            if isinstance(i, RunInstruction) and i.line <= item.line <= i.end_line
        ),
        None,
    )
    # the project was built from lint's parse; match the command in this parse by its words
    install = next((i for i in run.installs if i.command.argv == item.install.command.argv), None) if run else None
    if run is None or install is None:
        return edits
    command = install.command
    spans = command_spans(target.source, run, command)
    if spans is None:
        return edits
    for k, word in enumerate(command.argv):
        if k and word.endswith(source_name) and source_name != lock.name:
            span = spans[k].inner()
            new = _replace_suffix(span.written, source_name, lock.name)
            if new is not None:
                edits.append(Edit(target.shown, span.line, span.start, span.end, new, "RC701", f"installs {lock.name}"))
    if not item.install.has("--require-hashes") and "install" in command.argv:
        k = command.argv.index("install")
        s = spans[k]
        edits.append(Edit(target.shown, s.line, s.end, s.end, " --require-hashes", "RC701", "with --require-hashes"))
    if source_name == lock.name:
        return edits
    for ins in target.dockerfile.instructions:
        if not isinstance(ins, CopyInstruction) or ins.line > run.line or ins.stage != run.stage or ins.from_stage:
            continue
        if any(s.endswith(lock.name) for s in ins.sources):
            continue
        for src in ins.sources:
            if src.rsplit("/", 1)[-1] != source_name:
                continue
            where = whole_word(target.source, ins.line, ins.end_line, src)
            if where:
                line, col = where
                edits.append(
                    Edit(
                        target.shown,
                        line,
                        col,
                        col + len(src),
                        src[: -len(source_name)] + lock.name,
                        "RC701",
                        f"copies {lock.name}",
                    )
                )
    return edits


def fix_locks(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    if target.project is not None and target.dockerfile is not None:
        flagged = {f.location.line: f for f in findings if f.rule == "RC701"}
        for item in target.project.installed:
            f = item.file
            if f is None or item.path is None or item.role != "requirements" or not _needs_lock(f):
                continue
            finding = flagged.get(item.line)
            rule = "RC701" if f.kind is DepKind.REQUIREMENTS_IN else "RC601"
            if not ctx.allows(rule) or (rule == "RC701" and finding is None):
                continue
            path = Path(item.path)
            if not ctx.inside(path):
                continue
            try:
                python = item.python.version if item.python else None
                files = compile_lock(ctx, path, python, item.platform, item.libc)
            except LookupFailed as exc:
                if finding is not None:
                    out.fail(finding, str(exc))
                continue
            out.new_files += files
            _, lock, _ = _plan(path)
            out.edits += _dockerfile_edits(target, item, lock, path.name)
        return out
    mine = [f for f in findings if f.rule in RULES and f.rule != "RC701"]
    kind = dep_kind_of(str(target.path))
    if kind not in (DepKind.REQUIREMENTS, DepKind.REQUIREMENTS_IN) or target.path.name.startswith("constraints"):
        return out  # other dependency files have their own lock tools (uv lock, poetry lock, pipenv lock)
    if not mine or not any(ctx.allows(f.rule) for f in mine):
        return out
    try:
        out.new_files += compile_lock(ctx, target.path)
    except LookupFailed as exc:
        for finding in mine:
            out.fail(finding, str(exc))
    return out


LOCK_FIXER = Fixer(frozenset(RULES), fix_locks, every_dockerfile=True)


CONDA_RULE = "RC601"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*")


def pinned(raw: str, version: str) -> str | None:
    """``raw`` (``requests[socks]>=2.31 ; python_version>'3'``) with its specifier replaced by ``==version``."""
    requirement, semi, marker = raw.partition(";")
    m = _NAME.match(requirement)
    if m is None or "@" in requirement:
        return None
    return f"{m.group(1)}{m.group(2) or ''}=={version}" + (f" ;{marker}" if semi else "")


def fix_conda_pip(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    mine = {f.location.line: f for f in findings if f.rule == CONDA_RULE}
    if target.dockerfile is not None or not mine or dep_kind_of(str(target.path)) is not DepKind.CONDA_ENV:
        return out
    parsed = parse_dependency_file(
        target.source.text.encode("utf-8", "surrogateescape"), target.shown, DepKind.CONDA_ENV
    )
    entries = [d for d in parsed.dependencies if d.manager == "pip" and d.line in mine and d.spec.kind is SpecKind.NAME]
    if not entries:
        return out
    python = parsed.python if parsed.python and re.fullmatch(r"\d+\.\d+(\.\d+)?", parsed.python) else None
    try:
        if python is None:
            raise LookupFailed("the environment names no Python version to resolve its pip section for")
        versions = resolve_versions(ctx, [d.spec.raw for d in entries], python)
    except LookupFailed as exc:
        for d in entries:
            out.fail(mine[d.line], str(exc))
        return out
    for d in entries:
        finding = mine[d.line]
        version = versions.get(canonical(d.spec.name))
        new = pinned(d.spec.raw, version) if version else None
        text = target.source.line(d.line)
        col = text.find(d.spec.raw)
        if new is None or col < 0:
            out.fail(finding, f"`{d.spec.raw}` is not written plainly enough to pin")
            continue
        out.edits.append(
            Edit(
                target.shown,
                d.line,
                col,
                col + len(d.spec.raw),
                new,
                CONDA_RULE,
                f"{d.spec.name}=={version} (resolved today)",
            )
        )
    return out


CONDA_FIXER = Fixer(frozenset({CONDA_RULE}), fix_conda_pip)
# the conda entries themselves: their versions come from conda's solver and channels, which fix does not run
CONDA_ENTRY_REASONS = {
    "RC606": (
        "conda versions come from conda's solver and channels, which fix does not run: pin name==version "
        "from `conda list` (or `micromamba list`) in the built image, or lock the environment with conda-lock"
    )
}


def explain_conda_entries(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    return explain(CONDA_ENTRY_REASONS, findings)


CONDA_ENTRIES_HINT = Fixer(frozenset(), explain_conda_entries, hints=frozenset(CONDA_ENTRY_REASONS))

FIXERS: tuple[Fixer, ...] = (
    LOCK_FIXER,
    CONDA_FIXER,
    CONDA_ENTRIES_HINT,
)
