"""RC513: lock-based installs told to install exactly the lock: ``uv sync --locked``, ``uv run --locked``,
``pipenv install --deploy``, ``pdm install --frozen-lockfile``, ``yarn/pnpm install --frozen-lockfile``,
``npm install`` -> ``npm ci``. Unsafe: with a stale lock the build now stops instead of re-resolving.

RC511: ``pip install --extra-index-url X pkgs`` becomes ``pip install --index-url X pkgs`` when X alone
serves the whole resolution of the install's requirements (checked by resolving them with pip-compile
against X and nothing else). Unsafe: every file now comes from X, where before pip took the highest version
of each name from either index, which is the dependency confusion the rule is about.

Left with a reason: an extra index set for every later install (``ENV PIP_EXTRA_INDEX_URL``,
``pip config set``), an install that also names ``--index-url``, ``--find-links`` or requirement files, and
one whose requirements X does not serve on its own (split it: one ``--index-url`` per install)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from reprocheck.errors import LookupFailed
from reprocheck.fix.lookups.compiler import Compile, compile_requirements
from reprocheck.fix.machinery.api import FixContext, Fixer, Outcome, Target
from reprocheck.fix.python_install import python_of
from reprocheck.fix.text.edits import Edit
from reprocheck.fix.text.words import command_spans
from reprocheck.model.dockerfile import KeyValueInstruction, RunInstruction
from reprocheck.model.finding import Finding
from reprocheck.model.install import InstallCommand, SpecKind

FLAGS_RULE = "RC513"
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
    flagged = {f.location.line: f for f in findings if f.rule == FLAGS_RULE}
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
                    out.edits.append(Edit(target.shown, s.line, s.start, s.end, "ci", FLAGS_RULE, "npm ci"))
                    continue
            if flag is None:
                out.fail(finding, "no flag makes this tool install exactly its lock; copy the lock first")
                continue
            out.edits.append(
                Edit(target.shown, s.line, s.end, s.end, f" {flag}", FLAGS_RULE, f"{inst.tool} {verb} {flag}")
            )
    return out


FLAGS_FIXER = Fixer(frozenset({FLAGS_RULE}), fix_lock_flags)


INDEX_RULE = "RC511"
EXTRA = "--extra-index-url"
_INDEX_ENV = frozenset({"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_INDEX"})
_BLOCKING = ("--index-url", "-i", "--find-links", "-f", "--no-index", "--index")


def _serves_all(ctx: FixContext, index: str, requirements: Sequence[str], python: str | None) -> None:
    """Raises LookupFailed unless pip-compile resolves ``requirements`` from ``index`` alone."""
    if ctx.options.offline:
        raise LookupFailed(f"checking that {index} alone serves the install needs the network (--offline)")

    def run() -> str:
        with tempfile.TemporaryDirectory(prefix="reprocheck-fix-") as tmp:
            src = Path(tmp) / "wanted.in"
            src.write_text("".join(f"{r}\n" for r in requirements), encoding="utf-8")
            out = Path(tmp) / "wanted.txt"
            job = Compile(src.name, out, plain=True, allow_unsafe=True, index_url=index, only_index=True)
            try:
                compile_requirements(job, Path(tmp), python, ctx.options.platform)
            except LookupFailed as exc:
                if "needs uv" in str(exc) or "no resolver" in str(exc):
                    return str(exc)
                wanted = " ".join(requirements)
                return f"{index} alone does not serve {wanted} ({exc}); use one --index-url per install"
        return ""

    error = ctx.cached(("index-alone", index, python or "", *requirements), run)
    if error:
        raise LookupFailed(str(error))


def _blocked(target: Target, inst: InstallCommand) -> str:
    """Why this install's extra index cannot become its only one; "" when it can."""
    assert target.dockerfile is not None
    if inst.manager not in ("pip", "uv") or inst.action != "install":
        return "only pip installs are rewritten"
    if len(inst.values(EXTRA)) != 1:
        return "the install names several extra indexes; give each its own install with one --index-url"
    if any(inst.has(o) for o in _BLOCKING) or inst.requirement_files or inst.constraint_files:
        return "the install also names another index, find-links or requirement files; resolve it by hand"
    for ins in target.dockerfile.instructions:
        env = isinstance(ins, KeyValueInstruction) and ins.keyword in ("ENV", "ARG")
        if env and any(name in _INDEX_ENV for name, _ in ins.pairs):  # type: ignore[attr-defined]
            return f"line {ins.line} sets the index for every install; one --index-url per install first"
    if not inst.packages or any(p.kind is not SpecKind.NAME for p in inst.packages):
        return "the install names no packages, or URLs or paths, that a single index could be checked for"
    return ""


def fix_index_urls(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    if not ctx.allows(INDEX_RULE):
        return out  # unsafe, and each edit costs a resolution: nothing without --unsafe-fixes
    if target.dockerfile is None:
        for f in findings:
            if f.rule == INDEX_RULE:
                out.fail(f, "the index option applies to every requirement of the file: fix cannot tell which need it")
        return out
    flagged = {f.location.line: f for f in findings if f.rule == INDEX_RULE and f.message.startswith(f"`{EXTRA}")}
    for f in findings:
        if f.rule == INDEX_RULE and f.location.line not in flagged:
            out.fail(
                f,
                "an extra index for every later install: fix cannot tell which packages need it; "
                "pass one --index-url to each install that needs that index instead",
            )
    for ins in target.dockerfile.instructions:
        if not isinstance(ins, RunInstruction):
            continue
        for inst in ins.installs:
            finding = flagged.get(inst.line)
            if finding is None or not inst.values(EXTRA):
                continue
            why = _blocked(target, inst)
            spans = command_spans(target.source, ins, inst.command)
            argv = inst.command.argv
            k = next((k for k, w in enumerate(argv) if k and (w == EXTRA or w.startswith(EXTRA + "="))), None)
            if not why and (spans is None or k is None or not spans[k].written.startswith(EXTRA)):
                why = f"`{EXTRA}` is not written plainly enough to edit"
            if why:
                out.fail(finding, why)
                continue
            assert spans is not None
            assert k is not None
            index = inst.values(EXTRA)[0]
            try:
                _serves_all(ctx, index, [p.raw for p in inst.packages], python_of(target, ins.line))
            except LookupFailed as exc:
                out.fail(finding, str(exc))
                continue
            span = spans[k]
            out.edits.append(
                Edit(
                    target.shown,
                    span.line,
                    span.start,
                    span.start + len(EXTRA),
                    "--index-url",
                    INDEX_RULE,
                    f"{index} serves every requirement of the install: it becomes the only index",
                )
            )
    return out


INDEX_FIXER = Fixer(frozenset({INDEX_RULE}), fix_index_urls)


FIXERS: tuple[Fixer, ...] = (
    FLAGS_FIXER,
    INDEX_FIXER,
)
