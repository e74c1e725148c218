"""RC505: ``huggingface-cli download REPO`` / ``hf download REPO`` without a commit gains ``--revision <commit>``
(or its ``--revision main`` names the commit instead): the commit the hub's branch points at today, from the
hub's API. Unsafe: the commit is today's. ``python -c`` one-liners (``snapshot_download(...)``) are left,
with why."""

from __future__ import annotations

import re
from collections.abc import Sequence

from reprocheck.model.dockerfile import RunInstruction
from reprocheck.model.finding import Finding
from reprocheck.model.shell import ShellCommand
from reprocheck.parsing.installers._options import split_options
from reprocheck.parsing.versions import has_variable, is_commit
from reprocheck.rules.downloads import _HF, _HF_CLI

from ._api import FixContext, Fixer, FixKind, Outcome, Target
from .edits import Edit
from .oci import LookupFailed
from .remote import hub_commit
from .words import command_spans

_REPO = re.compile(r"[A-Za-z0-9][\w.-]*(?:/[A-Za-z0-9][\w.-]*)?")
PYTHON_REASON = (
    'fix edits `huggingface-cli download`/`hf download` only, not Python code: add revision="<commit>" to the '
    "call (huggingface_hub: model_info(repo).sha)"
)


def _pin(
    ctx: FixContext, target: Target, ins: RunInstruction, cmd: ShellCommand, finding: Finding, out: Outcome
) -> None:
    parsed = split_options(cmd.args[1:], _HF)
    kind = (parsed.options.get("--repo-type") or ["model"])[-1]
    if kind != "model":
        out.fail(finding, f"fix asks the hub for model repositories only; pin this {kind}'s --revision by hand")
        return
    revisions = parsed.options.get("--revision")
    ref = revisions[-1] if revisions else "main"
    if not parsed.positionals or is_commit(ref):
        return
    repo = parsed.positionals[0]
    if has_variable(repo) or has_variable(ref) or any("$" in word for word in cmd.raw):
        out.fail(finding, "the repository or revision is computed at build time")
        return
    if not _REPO.fullmatch(repo):
        out.fail(finding, f"`{repo}` is not a model repository name fix will ask about")
        return
    spans = command_spans(target.source, ins, cmd)
    if spans is None or len(spans) != len(cmd.argv):
        out.fail(finding, f"`{cmd.text()}` is not written plainly enough to edit")
        return
    try:
        commit = hub_commit(ctx, repo, ref)
    except LookupFailed as exc:
        out.fail(finding, str(exc))
        return
    note = f"{repo}@{ref} is {commit[:12]}"
    if revisions is None:
        at = next(k for k in range(2, len(cmd.argv)) if cmd.argv[k] == repo)
        span = spans[at]
        out.edits.append(Edit(target.shown, span.line, span.end, span.end, f" --revision {commit}", "RC505", note))
        return
    for k in range(len(cmd.argv) - 1, 1, -1):
        word = cmd.argv[k]
        if word.startswith("--revision="):
            span = spans[k].inner()
            start = span.start + len("--revision=")
            out.edits.append(Edit(target.shown, span.line, start, span.end, commit, "RC505", note))
            return
        if word == "--revision" and k + 1 < len(cmd.argv):
            span = spans[k + 1].inner()
            out.edits.append(Edit(target.shown, span.line, span.start, span.end, commit, "RC505", note))
            return
    out.fail(finding, f"`{cmd.text()}` is not written plainly enough to edit")


def fix_models(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    if target.dockerfile is None or not ctx.allows("RC505"):
        return out  # without --unsafe-fixes the hub is not asked: its answer would not be written
    flagged = {f.location.line: f for f in findings if f.rule == "RC505"}
    for ins in target.dockerfile.instructions:
        if not isinstance(ins, RunInstruction):
            continue
        for cmd in ins.commands:
            finding = flagged.get(cmd.line)
            if finding is None:
                continue
            if cmd.name in _HF_CLI and cmd.args[:1] == ("download",):
                _pin(ctx, target, ins, cmd, finding, out)
            elif cmd.name.startswith("python"):
                out.fail(finding, PYTHON_REASON)
    return out


FIXER = Fixer({"RC505": FixKind.UNSAFE}, fix_models)
