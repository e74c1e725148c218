"""RC301: ``pip install numpy`` in a RUN becomes ``numpy==<version>``: the version the built image holds
(``--from-image``: safe, it is what today's build installed) or the one the project's lock names (unsafe
unless the image agrees), else what the index serves today for the Python the image runs (its base image's,
``python:3.9-slim``: resolved for 3.9 by ``fix/lookups/compiler.py``).

RC302/RC604: a pip VCS requirement (``git+https://host/o/r.git@main``), in a RUN or in a requirements
file, gets the full commit its ref (or the default branch) has now, from ``git ls-remote``. Unsafe: the
commit is today's. An archive URL in a requirements file gets its sha256 (below).

RC604 for an archive URL in a requirements file: the entry gains the sha256 of what the URL serves today
(one download made by fix; unsafe: it trusts today's content).

Where the hash goes depends on the file. A file already in hash-checking mode (another entry has ``--hash``,
or ``--require-hashes``) gets `` --hash=sha256:<hex>`` like its other entries. Otherwise the URL gains a
``#sha256=<hex>`` fragment: pip checks it all the same, but a ``--hash`` would switch the whole file to
hash-checking mode, and pip would then refuse every entry without one (a git entry cannot have one)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reprocheck.errors import LookupFailed
from reprocheck.fix.lock_files import resolve_versions
from reprocheck.fix.lookups.image_inventory import image_inventory
from reprocheck.fix.lookups.remote import ls_remote, sha256_of_url
from reprocheck.fix.machinery.api import FixContext, Fixer, Outcome, Target
from reprocheck.fix.text.edits import Edit
from reprocheck.fix.text.words import command_spans
from reprocheck.lint.project import base_python
from reprocheck.model.dockerfile import RunInstruction
from reprocheck.model.finding import Finding
from reprocheck.model.install import InstallCommand, PackageSpec, SpecKind
from reprocheck.model.names import canonical
from reprocheck.parsing.requirements_file import parse_requirements_file
from reprocheck.parsing.versions import has_variable, is_commit

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


def admits(raw: str, name_end: int, version: str) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion

    spec = raw[name_end:].strip()
    if not spec:
        return True
    try:
        return SpecifierSet(spec).contains(version, prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return False


def name_end(raw: str) -> int:
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


def python_of(target: Target, line: int) -> str | None:
    """The Python of the image at ``line``: as the project learnt it (the installed files carry it), else as
    the stage's base image names it (``python:3.9-slim``); None when nothing says."""
    if target.project is None:
        return None
    known = [i.python for i in target.project.installed if i.python is not None]
    before = [p for p in known if p.line <= line]
    if before:
        return before[-1].version
    ins = next((i for i in target.project.dockerfile.instructions if i.line <= line <= i.end_line), None)
    base = base_python(target.project.dockerfile, ins.stage) if ins is not None else None
    if base is not None:
        return base.version
    return known[0].version if known else None


@dataclass(frozen=True, slots=True)
class _Sources:
    """Where versions come from, most trusted first: the built image, the lock, the index today."""

    image: Mapping[str, str]
    locked: Mapping[str, str]
    resolved: Mapping[str, str]
    error: str  # why a version may be unknown


def _pin_loose(
    target: Target,
    ins: RunInstruction,
    inst: InstallCommand,
    loose: Sequence[PackageSpec],
    sources: _Sources,
    out: Outcome,
) -> list[str]:
    """Pin each of ``loose`` (edits into ``out``); what could not be pinned, and why."""
    spans = command_spans(target.source, ins, inst.command)
    used: set[int] = set()
    missing: list[str] = []
    for spec in loose:
        index = next((k for k, w in enumerate(inst.command.argv) if w == spec.raw and k not in used and k > 0), None)
        if index is None or spans is None:
            missing.append(f"`{spec.raw}` is not written plainly enough to edit")
            continue
        used.add(index)
        span = spans[index].inner()
        if span.written != spec.raw or ";" in spec.raw or "@" in spec.raw:
            missing.append(f"`{spec.raw}` is not written plainly enough to edit")
            continue
        key = canonical(spec.name)
        version = sources.image.get(key) or sources.locked.get(key) or sources.resolved.get(key)
        if version is None:
            why = sources.error or "neither the image nor a lock has it (--unsafe-fixes resolves it)"
            missing.append(f"`{spec.name}`: {why}")
            continue
        end = name_end(spec.raw)
        if not admits(spec.raw, end, version):
            missing.append(f"`{spec.raw}` does not admit {version}, the version of the lock or image")
            continue
        safe = key in sources.image
        origin = "the image" if safe else "the lock" if key in sources.locked else "the index today"
        new, why = f"{spec.raw[:end]}=={version}", f"{spec.raw} pinned to {version} ({origin})"
        out.edits.append(Edit(target.shown, span.line, span.start, span.end, new, RULE, why, safe=safe))
    return missing


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
            loose = [p for p in inst.packages if p.kind is SpecKind.NAME and not p.pinned]
            resolved: dict[str, str] = {}
            resolve_error = ""
            unknown = [p.raw for p in loose if canonical(p.name) not in image and canonical(p.name) not in locked]
            if unknown and ctx.allows(RULE, safe=False):
                python = python_of(target, ins.line)
                try:
                    resolved = resolve_versions(ctx, unknown, python)
                except LookupFailed as exc:
                    resolve_error = str(exc)
            sources = _Sources(image, locked, resolved, resolve_error or image_error)
            missing = _pin_loose(target, ins, inst, loose, sources, out)
            if missing:
                out.fail(finding, "; ".join(missing))
    return out


PIN_FIXER = Fixer(frozenset({RULE}), fix_pip_pins)


_GIT = re.compile(r"git\+[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"#]+")


def _pin(
    ctx: FixContext, target: Target, line: int, col: int, url: str, rule: str, finding: Finding, out: Outcome
) -> None:
    """``url`` (``git+...``, without fragment) is written at ``line``/``col``: pin its ref."""
    body = url[len("git+") :]
    scheme_end = body.find("://") + 3
    slash = body.find("/", scheme_end)
    ref: str | None = None
    repo = body
    if slash >= 0 and "@" in body[slash:]:
        repo, ref = body.rsplit("@", 1)
    if ref is not None and (is_commit(ref) or has_variable(ref)):
        return
    if has_variable(repo):
        out.fail(finding, "the repository URL is computed at build time")
        return
    try:
        commit = ls_remote(ctx, repo, ref or None)
    except LookupFailed as exc:
        out.fail(finding, str(exc))
        return
    start = col + len("git+") + len(repo)
    end = col + len(url)
    out.edits.append(
        Edit(target.shown, line, start, end, f"@{commit}", rule, f"{repo}@{ref or 'HEAD'} is {commit[:12]}")
    )


def fix_vcs(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    if target.dockerfile is None:
        for f in findings:
            if f.rule != "RC604":
                continue
            text = target.source.line(f.location.line)
            m = _GIT.search(text.split(" #", 1)[0])
            if m:
                _pin(ctx, target, f.location.line, m.start(), m.group(0), "RC604", f, out)
            elif not hash_url_entry(ctx, target, f, out):
                out.fail(f, "fix hashes http(s) URLs only: add --hash=sha256:<hex> by hand, or compile a hashed lock")
        return out
    flagged = {f.location.line: f for f in findings if f.rule == "RC302"}
    for ins in target.dockerfile.instructions:
        if not isinstance(ins, RunInstruction):
            continue
        for inst in ins.installs:
            if inst.manager != "pip" or inst.line not in flagged:
                continue
            finding = flagged[inst.line]
            for spec in inst.packages:
                if spec.kind is not SpecKind.VCS or spec.pinned:
                    continue
                m = _GIT.search(spec.raw)
                if m is None:
                    continue
                url = m.group(0)
                for number in range(ins.line, ins.end_line + 1):
                    col = target.source.line(number).find(url)
                    if col >= 0:
                        _pin(ctx, target, number, col, url, "RC302", finding, out)
                        break
                else:
                    out.fail(finding, f"`{spec.raw}` is not written plainly enough to edit")
    return out


VCS_FIXER = Fixer(frozenset({"RC302", "RC604"}), fix_vcs)


_URL = re.compile(r"https?://[^\s'\"]+", re.IGNORECASE)


def _hash_mode(target: Target) -> bool:
    parsed = parse_requirements_file(target.source.text, target.shown)
    return any(d.hashes for d in parsed.dependencies) or any(o.name == "--require-hashes" for o in parsed.options)


def hash_url_entry(ctx: FixContext, target: Target, finding: Finding, out: Outcome) -> bool:
    """Hash the archive URL on the finding's line; False when the line holds no http(s) URL."""
    number = finding.location.line
    code = target.source.line(number).split(" #", 1)[0]
    m = _URL.search(code)
    if m is None:
        return False
    url = m.group(0)
    if has_variable(url):
        out.fail(finding, "the URL names an environment variable; hash it by hand")
        return True
    download, fragment, _ = url.partition("#")
    try:
        digest = sha256_of_url(ctx, download)
    except LookupFailed as exc:
        out.fail(finding, str(exc))
        return True
    if _hash_mode(target):
        body = code.rstrip()
        end = len(body[:-1].rstrip()) if body.endswith("\\") else len(body)
        edit = Edit(target.shown, number, end, end, f" --hash=sha256:{digest}", "RC604", f"{download} hashed")
    elif fragment:
        at = m.start() + len(download) + 1
        edit = Edit(target.shown, number, at, at, f"sha256={digest}&", "RC604", f"{download} hashed (#sha256=)")
    else:
        edit = Edit(
            target.shown, number, m.end(), m.end(), f"#sha256={digest}", "RC604", f"{download} hashed (#sha256=)"
        )
    out.edits.append(edit)
    return True


FIXERS: tuple[Fixer, ...] = (
    PIN_FIXER,
    VCS_FIXER,
)
