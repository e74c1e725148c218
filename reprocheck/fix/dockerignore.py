"""RC705 for a file the Dockerfile needs and ``.dockerignore`` drops: an exception line ``!path`` is appended
to the ignore file the build reads (``<Dockerfile>.dockerignore``, else the context's ``.dockerignore``).
Unsafe: the image then holds a file it did not before (the build that failed, or the container that could
not find the file, now works). Sources missing from the context, and sources written as patterns, have no
fix: the finding stays and says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reprocheck.lint import files
from reprocheck.model.finding import Finding

from ._api import FixContext, Fixer, FixKind, NewFile, Outcome, Target

RULE = "RC705"
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
    flagged = {f.location.line: f for f in findings if f.rule == RULE}
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
    if not wanted or not ctx.allows(RULE):
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
    out.new_files.append(NewFile(ignore, _appended(text, lines), RULE, note))
    return out


FIXER = Fixer({RULE: FixKind.UNSAFE}, fix_ignored_sources)
