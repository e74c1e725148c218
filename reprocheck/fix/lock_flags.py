"""RC513: lock-based installs told to install exactly the lock: ``uv sync --locked``, ``uv run --locked``,
``pipenv install --deploy``, ``pdm install --frozen-lockfile``, ``yarn/pnpm install --frozen-lockfile``,
``npm install`` -> ``npm ci``. Unsafe: with a stale lock the build now stops instead of re-resolving."""

from __future__ import annotations

from collections.abc import Sequence

from reprocheck.model.dockerfile import RunInstruction
from reprocheck.model.finding import Finding

from ._api import FixContext, Fixer, FixKind, Outcome, Target
from .edits import Edit
from .words import command_spans

RULE = "RC513"
FLAGS = {
    ("uv", "sync"): "--locked",
    ("uv", "run"): "--locked",
    ("pipenv", "install"): "--deploy",
    ("pdm", "install"): "--frozen-lockfile",
}


def fix_lock_flags(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    if target.dockerfile is None:
        return out
    flagged = {f.location.line: f for f in findings if f.rule == RULE}
    for ins in target.dockerfile.instructions:
        if not isinstance(ins, RunInstruction):
            continue
        for inst in ins.installs:
            finding = flagged.get(inst.line)
            if finding is None:
                continue
            argv = inst.command.argv
            verb = next((v for v in (inst.verb, inst.action, "install", "i") if v and v in argv[1:]), "")
            spans = command_spans(target.source, ins, inst.command)
            if spans is None or not verb:
                out.fail(finding, "the command is not written plainly enough to edit")
                continue
            s = spans[argv.index(verb)]
            flag = FLAGS.get((inst.manager, inst.action))
            if flag is None and inst.manager == "npm" and inst.action == "install-lock":
                flag = "--frozen-lockfile" if inst.tool in ("yarn", "pnpm") else None
                if inst.tool == "npm":
                    out.edits.append(Edit(target.shown, s.line, s.start, s.end, "ci", RULE, "npm ci"))
                    continue
            if flag is None:
                out.fail(finding, "no flag makes this tool install exactly its lock; copy the lock first")
                continue
            out.edits.append(Edit(target.shown, s.line, s.end, s.end, f" {flag}", RULE, f"{inst.tool} {verb} {flag}"))
    return out


FIXER = Fixer({RULE: FixKind.UNSAFE}, fix_lock_flags)
