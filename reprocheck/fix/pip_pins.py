"""RC301: ``pip install numpy`` in a RUN becomes ``numpy==<version>``: the version the built image holds
(``--from-image``: safe, it is what today's build installed) or the one the project's lock names (unsafe
unless the image agrees)."""

from __future__ import annotations

from collections.abc import Sequence

from reprocheck.model.dockerfile import RunInstruction
from reprocheck.model.finding import Finding
from reprocheck.model.install import SpecKind
from reprocheck.model.names import canonical

from ._api import FixContext, Fixer, FixKind, Outcome, Target
from .edits import Edit
from .image_inventory import image_inventory
from .lock import resolve_versions
from .oci import LookupFailed
from .words import command_spans

RULE = "RC301"
_OPERATORS = "<>=!~ "


def locked_versions(target: Target) -> dict[str, str]:
    """Canonical name -> version, from the locks the Dockerfile installs."""
    out: dict[str, str] = {}
    if target.project is None:
        return out
    for inst in target.project.installed:
        for f in (inst.file, inst.lock):
            if f is None or not f.is_lock:
                continue
            for dep in f.dependencies:
                if dep.spec.pinned and dep.spec.version and dep.spec.kind is SpecKind.NAME:
                    out.setdefault(canonical(dep.name), dep.spec.version)
            for pkg in f.locked:
                out.setdefault(canonical(pkg.name), pkg.version)
    return out


def _admits(raw: str, name_end: int, version: str) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion

    spec = raw[name_end:].strip()
    if not spec:
        return True
    try:
        return SpecifierSet(spec).contains(version, prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return False


def _name_end(raw: str) -> int:
    """Where the name (with its extras) ends in a requirement word."""
    depth = 0
    for k, ch in enumerate(raw):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0 and ch in _OPERATORS:
            return k
    return len(raw)


def _python_of(target: Target, line: int) -> str | None:
    """The Python of the image at ``line``, as the project learnt it (the installed files carry it)."""
    if target.project is None:
        return None
    known = [i.python for i in target.project.installed if i.python is not None]
    before = [p for p in known if p.line <= line]
    chosen = before[-1] if before else (known[0] if known else None)
    return chosen.version if chosen else None


def fix_pip_pins(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    if target.dockerfile is None:
        return out
    locked = locked_versions(target)
    image: dict[str, str] = {}
    image_error = ""
    try:
        inv = image_inventory(ctx, target.path)
        if inv is not None:
            image = {canonical(d.name): d.version for d in inv.dists}
    except LookupFailed as exc:
        image_error = str(exc)
    lines = {f.location.line: f for f in findings if f.rule == RULE}
    for ins in target.dockerfile.instructions:
        if not isinstance(ins, RunInstruction):
            continue
        for inst in ins.installs:
            finding = lines.get(inst.line)
            if finding is None or inst.manager != "pip" or inst.action != "install":
                continue
            spans = command_spans(target.source, ins, inst.command)
            loose = [p for p in inst.packages if p.kind is SpecKind.NAME and not p.pinned]
            resolved: dict[str, str] = {}
            resolve_error = ""
            unknown = [p.raw for p in loose if canonical(p.name) not in image and canonical(p.name) not in locked]
            if unknown and ctx.allows(RULE, safe=False):
                python = _python_of(target, ins.line)
                try:
                    resolved = resolve_versions(ctx, unknown, python)
                except LookupFailed as exc:
                    resolve_error = str(exc)
            used: set[int] = set()
            missing: list[str] = []
            for spec in loose:
                index = next(
                    (k for k, w in enumerate(inst.command.argv) if w == spec.raw and k not in used and k > 0), None
                )
                if index is None or spans is None:
                    missing.append(f"`{spec.raw}` is not written plainly enough to edit")
                    continue
                used.add(index)
                span = spans[index].inner()
                if span.written != spec.raw or ";" in spec.raw or "@" in spec.raw:
                    missing.append(f"`{spec.raw}` is not written plainly enough to edit")
                    continue
                key = canonical(spec.name)
                version = image.get(key) or locked.get(key) or resolved.get(key)
                if version is None:
                    why = (
                        resolve_error
                        or image_error
                        or "neither the image nor a lock has it (--unsafe-fixes resolves it)"
                    )
                    missing.append(f"`{spec.name}`: {why}")
                    continue
                end = _name_end(spec.raw)
                if not _admits(spec.raw, end, version):
                    missing.append(f"`{spec.raw}` does not admit {version}, the version of the lock or image")
                    continue
                safe = key in image
                origin = "the image" if safe else "the lock" if key in locked else "the index today"
                out.edits.append(
                    Edit(
                        target.shown,
                        span.line,
                        span.start,
                        span.end,
                        f"{spec.raw[:end]}=={version}",
                        RULE,
                        f"{spec.raw} pinned to {version} ({origin})",
                        safe=safe,
                    )
                )
            if missing:
                out.fail(finding, "; ".join(missing))
    return out


FIXER = Fixer({RULE: FixKind.UNSAFE}, fix_pip_pins)
