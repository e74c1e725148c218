"""RC503 and RC204: rewrite a command in place when it sits on one line with its neighbour.

``curl -fsSL URL | sh`` becomes ``curl -fsSL URL -o /tmp/NAME && echo "<sha256>  /tmp/NAME" | sha256sum -c -
&& sh /tmp/NAME`` from one download made by fix; ``&& apt-get upgrade -y`` is dropped (the base image
digest is what brings updates). Both unsafe: the first trusts today's script, the second changes what the
image holds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from posixpath import basename
from urllib.parse import urlsplit

from reprocheck.model.dockerfile import RunInstruction
from reprocheck.model.finding import Finding
from reprocheck.model.shell import ShellCommand, is_shell_or_interpreter
from reprocheck.parsing.versions import has_variable
from reprocheck.rules.downloads import first_url, is_download

from ._api import FixContext, Fixer, FixKind, Outcome, Target
from .edits import Edit
from .oci import LookupFailed
from .remote import sha256_of_url
from .words import Span, command_spans

_PIPE = re.compile(r"^[ \t]*\|[ \t]*$")
_AND = re.compile(r"^[ \t]*(&&|;)[ \t]*$")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


def _next(ins: RunInstruction, cmd: ShellCommand) -> ShellCommand | None:
    commands = [c for c in ins.commands if c.context == cmd.context]
    k = next((i for i, c in enumerate(commands) if c is cmd), -1)
    return commands[k + 1] if 0 <= k < len(commands) - 1 else None


def _previous(ins: RunInstruction, cmd: ShellCommand) -> ShellCommand | None:
    commands = [c for c in ins.commands if c.context == cmd.context]
    k = next((i for i, c in enumerate(commands) if c is cmd), -1)
    return commands[k - 1] if k > 0 else None


def _piped(ctx: FixContext, target: Target, ins: RunInstruction, finding: Finding, out: Outcome) -> None:
    for cmd in ins.commands:
        if not is_download(cmd) or not any(is_shell_or_interpreter(d) for d in cmd.downstream):
            continue
        runner = _next(ins, cmd)
        url = first_url(cmd)
        mine = command_spans(target.source, ins, cmd)
        theirs = command_spans(target.source, ins, runner) if runner else None
        if runner is None or mine is None or theirs is None or has_variable(url):
            out.fail(finding, "the pipeline is not written plainly enough to rewrite")
            continue
        first, last = mine[-1], theirs[0]
        line = target.source.line(first.line)
        if first.line != last.line or theirs[-1].line != first.line or not _PIPE.match(line[first.end : last.start]):
            out.fail(finding, "the pipeline spans lines; rewrite it by hand")
            continue
        try:
            digest = sha256_of_url(ctx, url)
        except LookupFailed as exc:
            out.fail(finding, str(exc))
            continue
        name = basename(urlsplit(url).path)
        script = f"/tmp/{name if _SAFE_NAME.match(name or '') else 'installer'}"
        args = list(runner.raw[1:])
        while args and args[0] in ("-", "-s", "--"):
            args.pop(0)
        output = " -o " if cmd.name == "curl" else " -O "
        run = " ".join([runner.raw[0], script, *args])
        text = f'{output.strip()} {script} && echo "{digest}  {script}" | sha256sum -c - && {run}'
        end = theirs[-1].end
        out.edits.append(
            Edit(target.shown, first.line, first.end, end, " " + text, "RC503", f"{url} checked, then run")
        )


def _upgrade(target: Target, ins: RunInstruction, finding: Finding, out: Outcome) -> None:
    for inst in ins.installs:
        if inst.line != finding.location.line or inst.action != "upgrade":
            continue
        cmd = inst.command
        mine = command_spans(target.source, ins, cmd)
        before, after = _previous(ins, cmd), _next(ins, cmd)
        spans: list[Span] | None = command_spans(target.source, ins, before) if before else None
        if mine is None or mine[0].line != mine[-1].line:
            out.fail(finding, "the upgrade is not written plainly enough to remove")
            continue
        line = target.source.line(mine[0].line)
        if spans and spans[-1].line == mine[0].line and _AND.match(line[spans[-1].end : mine[0].start]):
            out.edits.append(
                Edit(target.shown, mine[0].line, spans[-1].end, mine[-1].end, "", "RC204", "upgrade removed")
            )
            continue
        nxt = command_spans(target.source, ins, after) if after else None
        if nxt and nxt[0].line == mine[0].line and _AND.match(line[mine[-1].end : nxt[0].start]):
            out.edits.append(
                Edit(target.shown, mine[0].line, mine[0].start, nxt[0].start, "", "RC204", "upgrade removed")
            )
            continue
        out.fail(finding, "the upgrade shares no line with a neighbour joined by && or ;; remove it by hand")


def fix_pipelines(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    if target.dockerfile is None:
        return out
    seen: set[tuple[str, int]] = set()
    for f in findings:
        ins = next(
            (
                i
                for i in target.dockerfile.instructions
                if isinstance(i, RunInstruction) and i.line <= f.location.line <= i.end_line
            ),
            None,
        )
        if ins is None or (f.rule, ins.line) in seen:
            continue
        seen.add((f.rule, ins.line))
        if f.rule == "RC503":
            _piped(ctx, target, ins, f, out)
        elif f.rule == "RC204":
            _upgrade(target, ins, f, out)
    return out


FIXER = Fixer({"RC503": FixKind.UNSAFE, "RC204": FixKind.UNSAFE}, fix_pipelines)
