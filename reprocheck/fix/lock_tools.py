"""RC611/RC612/RC613 on uv, poetry and pipenv projects: fix does not write another tool's lock (that tool
resolves, not a hand-written resolver), it says which command refreshes it, in the finding's hint."""

from __future__ import annotations

import shutil
from collections.abc import Sequence

from reprocheck.model.finding import Finding

from ._api import FixContext, Fixer, Outcome, Target

HINT_RULES = frozenset({"RC611", "RC612", "RC613"})
_TOOLS = (
    ("uv.lock", "uv", "uv lock"),
    ("poetry.lock", "poetry", "poetry lock"),
    ("Pipfile.lock", "pipenv", "pipenv lock"),
)


def lock_command(target: Target) -> tuple[str, str] | None:
    """(tool, command) that refreshes the lock of the project ``target`` belongs to."""
    directory = target.path.parent
    for lock, tool, command in _TOOLS:
        if target.path.name == lock or (directory / lock).is_file():
            return tool, command
    if target.path.name == "Pipfile":
        return "pipenv", "pipenv lock"
    return None


def hint_lock_tools(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    if target.dockerfile is not None or target.path.suffix in (".in", ".txt"):
        return out
    found = lock_command(target)
    if found is None:
        return out
    tool, command = found
    where = target.path.parent.as_posix() or "."
    how = (
        f"run `{command}` in {where}"
        if shutil.which(tool)
        else f"run `{command}` in {where} ({tool} is not installed here)"
    )
    for f in findings:
        if f.rule in HINT_RULES:
            out.fail(f, f"{how}; fix does not write {tool}'s lock itself")
    return out


FIXER = Fixer({}, hint_lock_tools, hints=HINT_RULES)
