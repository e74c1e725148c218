"""RC201/RC202: ``apt-get install curl`` becomes ``curl=<version>`` and ``apk add curl`` ``curl=<version>``,
with the versions the package database of an image built from the project records (``--from-image``; read
in a sandboxed container of it, as ``dpkg-query -W`` would report them). Safe: the image is what the build
installed. Pinned apt versions disappear from the mirror when Debian moves on, so each apt pin comes with a
hint to build from a dated snapshot of the archive.

RC204: ``&& apt-get upgrade -y`` (and apk/dnf upgrades) is dropped when it shares a line with a neighbour
joined by ``&&`` or ``;``: the base image digest is what brings updates. Unsafe: it changes what the image
holds."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from reprocheck.errors import LookupFailed
from reprocheck.fix.lookups.image_inventory import image_created, image_inventory
from reprocheck.fix.machinery.api import FixContext, Fixer, Outcome, Target
from reprocheck.fix.text.edits import Edit
from reprocheck.fix.text.words import Span, command_spans, next_command, previous_command
from reprocheck.model.dockerfile import RunInstruction
from reprocheck.model.finding import Finding
from reprocheck.model.install import InstallCommand, SpecKind

RULES = {"apt": "RC201", "apk": "RC202"}
DATABASE = {"apt": "dpkg", "apk": "apk"}


def snapshot_hint(created: str) -> str:
    """A dated Debian snapshot archive path for an image made at ``created`` (ISO 8601)."""
    stamp = "".join(ch for ch in created[:19] if ch.isdigit())
    if len(stamp) != 14:
        return ""
    return (
        f"to keep these versions installable, build from the Debian snapshot archive of that day "
        f"(archive/debian/{stamp[:8]}T{stamp[8:]}Z) instead of the moving mirror"
    )


def _pin_install(
    target: Target, ins: RunInstruction, inst: InstallCommand, rule: str, versions: Mapping[str, str], out: Outcome
) -> list[str]:
    """Pin each unpinned package of ``inst`` to the image's version (edits into ``out``); what was not."""
    spans = command_spans(target.source, ins, inst.command)
    missing: list[str] = []
    used: set[int] = set()
    for spec in inst.packages:
        if spec.kind is not SpecKind.NAME or spec.pinned:
            continue
        k = next((k for k, w in enumerate(inst.command.argv) if w == spec.raw and k and k not in used), None)
        version = versions.get(spec.name)
        if k is None or spans is None or version is None:
            missing.append(
                f"`{spec.name}` is not installed in the image" if version is None else f"`{spec.raw}` as written"
            )
            continue
        used.add(k)
        span = spans[k].inner()
        if span.written != spec.raw or spec.raw != spec.name:
            missing.append(f"`{spec.raw}` selects a release or pattern; pin it by hand")
            continue
        why = f"{spec.name} pinned to {version} (the image's {DATABASE[inst.manager]})"
        out.edits.append(Edit(target.shown, span.line, span.start, span.end, f"{spec.name}={version}", rule, why))
    return missing


def fix_os_packages(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    if target.dockerfile is None:
        return out
    flagged = {(f.rule, f.location.line): f for f in findings}
    try:
        inv = image_inventory(ctx, target.path)
        error = "" if inv is not None else "needs --from-image IMAGE (built from this Dockerfile) to know the versions"
    except LookupFailed as exc:
        inv, error = None, str(exc)
    for ins in target.dockerfile.instructions:
        if not isinstance(ins, RunInstruction):
            continue
        for inst in ins.installs:
            rule = RULES.get(inst.manager)
            finding = flagged.get((rule or "", inst.line))
            if rule is None or finding is None or inst.action != "install":
                continue
            if inv is None:
                out.fail(finding, error)
                continue
            if inv.os_manager != DATABASE[inst.manager]:
                out.fail(finding, f"the image has no {DATABASE[inst.manager]} database")
                continue
            missing = _pin_install(target, ins, inst, rule, inv.os_packages, out)
            if missing:
                out.fail(finding, "; ".join(missing))
    if any(e.rule == "RC201" for e in out.edits):
        hint = snapshot_hint(image_created(ctx))
        if hint:
            out.notes.append(f"{target.shown}: apt pins from the image; {hint}")
    return out


PIN_FIXER = Fixer(frozenset({"RC201", "RC202"}), fix_os_packages)


_AND = re.compile(r"^[ \t]*(&&|;)[ \t]*$")


def _upgrade(target: Target, ins: RunInstruction, finding: Finding, out: Outcome) -> None:
    for inst in ins.installs:
        if inst.line != finding.location.line or inst.action != "upgrade":
            continue
        cmd = inst.command
        mine = command_spans(target.source, ins, cmd)
        before, after = previous_command(ins, cmd), next_command(ins, cmd)
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


def fix_upgrades(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    seen: set[int] = set()
    for f in findings:
        ins = target.run_at(f)
        if ins is None or ins.line in seen:
            continue
        seen.add(ins.line)
        _upgrade(target, ins, f, out)
    return out


UPGRADE_FIXER = Fixer(frozenset({"RC204"}), fix_upgrades)


FIXERS: tuple[Fixer, ...] = (
    PIN_FIXER,
    UPGRADE_FIXER,
)
