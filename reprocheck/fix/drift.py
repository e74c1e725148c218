"""RC611/RC612/RC613 on uv, poetry and pipenv projects: the project's own tool locks again (`uv lock`,
`poetry lock`, `pipenv lock`), never a hand-written resolver. It runs on a copy of the project's files in a
temporary directory (caches and virtual environments there too); fix writes the new lock back atomically.
Unsafe: what the source adds or moves is resolved against the index as it is today (locked versions the
source still allows are kept). A tool that is not installed leaves the lock as it is, and the finding says
which tool to install or which command to run."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reprocheck.errors import LookupFailed
from reprocheck.fix.machinery.api import FixContext, Fixer, NewFile, Outcome, Target
from reprocheck.fix.machinery.tools import copy_inputs, find_tool, run_tool, tool_env
from reprocheck.model.finding import Finding

RULES = ("RC611", "RC612", "RC613")


@dataclass(frozen=True, slots=True)
class LockTool:
    lock: str
    tool: str
    inputs: tuple[str, ...]  # the files the tool reads, the lock included

    @property
    def command(self) -> str:
        return f"{self.tool} lock"


TOOLS = (
    LockTool("uv.lock", "uv", ("pyproject.toml", "uv.lock", "uv.toml", ".python-version")),
    LockTool("poetry.lock", "poetry", ("pyproject.toml", "poetry.lock", "poetry.toml")),
    LockTool("Pipfile.lock", "pipenv", ("Pipfile", "Pipfile.lock")),
)


def lock_tool(path: Path) -> LockTool | None:
    """The tool whose lock belongs with ``path`` (a lock, or the source next to one)."""
    if path.suffix in (".in", ".txt"):
        return None
    for t in TOOLS:
        if path.name == t.lock or (path.name in t.inputs and (path.parent / t.lock).is_file()):
            return t
    if path.name == "Pipfile":
        return TOOLS[2]
    return None


def _arguments(ctx: FixContext, t: LockTool) -> tuple[list[str], dict[str, str]]:
    """The lock command's arguments and environment for ``--index-url``: uv takes it as its default index,
    pipenv as the mirror of the default source; poetry reads only the sources its pyproject names."""
    url = ctx.options.index_url
    if t.tool == "uv":
        return (["lock", "--default-index", url] if url else ["lock"]), {}
    if t.tool == "pipenv":
        return ["lock"], ({"PIPENV_PYPI_MIRROR": url} if url else {})
    return ["lock"], {}


def relock(ctx: FixContext, directory: Path, t: LockTool, overrides: Mapping[str, str] = {}) -> NewFile:
    """The tool's new lock for the project in ``directory`` (``overrides``: file name -> the text the copy gets
    instead of the file's). Raises LookupFailed."""
    if ctx.options.offline:
        raise LookupFailed(f"`{t.command}` needs the package index, and --offline forbids it")
    exe = find_tool(t.tool)
    with tempfile.TemporaryDirectory(prefix="reprocheck-lock-", ignore_cleanup_errors=True) as name:
        tmp = Path(name)
        work = tmp / "project"
        copy_inputs(directory, t.inputs, work)
        for file_name, text in overrides.items():
            (work / file_name).write_bytes(text.encode("utf-8"))
        args, extra = _arguments(ctx, t)
        run_tool([exe, *args], work, tool_env(tmp, extra), t.command)
        out = work / t.lock
        if not out.is_file():
            raise LookupFailed(f"`{t.command}` wrote no {t.lock}")
        content = out.read_text(encoding="utf-8")
    return NewFile(directory / t.lock, content, "RC613", f"`{t.command}`")


def fix_lock_tools(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    mine = [f for f in findings if f.rule in RULES and ctx.allows(f.rule)]
    t = lock_tool(target.path)
    if target.dockerfile is not None or t is None or not mine:
        return out
    directory = target.path.parent
    where = directory.as_posix() or "."

    def run() -> NewFile | LookupFailed:
        try:
            return relock(ctx, directory, t)
        except LookupFailed as exc:
            return LookupFailed(f"{exc}; run `{t.command}` in {where}")

    if not ctx.inside(directory):
        return out
    found = ctx.cached(("relock", t.tool, str(directory.resolve())), run)
    if isinstance(found, LookupFailed):
        for f in mine:
            out.fail(f, str(found))
        return out
    out.new_files.append(found)
    return out


RELOCK_FIXER = Fixer(frozenset(RULES), fix_lock_tools)


FIXERS: tuple[Fixer, ...] = (RELOCK_FIXER,)
