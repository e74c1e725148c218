"""RC601 in the ``pip:`` section of a conda environment file: ``requests>=2.31`` becomes ``requests==<version>``,
the version pip-compile picks today on the index for the environment's Python (as RC301 pins a loose
``pip install``). Unsafe: today's resolution. The conda entries themselves (RC606) need conda's solver and
channels, which fix does not run: they are left as they are."""

from __future__ import annotations

import re
from collections.abc import Sequence

from reprocheck.model.deps import DepKind
from reprocheck.model.finding import Finding
from reprocheck.model.install import SpecKind
from reprocheck.model.names import canonical
from reprocheck.parsing.depfiles import dep_kind_of, parse_dependency_file

from ._api import FixContext, Fixer, FixKind, Outcome, Target
from .edits import Edit
from .lock import resolve_versions
from .oci import LookupFailed

RULE = "RC601"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*")


def pinned(raw: str, version: str) -> str | None:
    """``raw`` (``requests[socks]>=2.31 ; python_version>'3'``) with its specifier replaced by ``==version``."""
    requirement, semi, marker = raw.partition(";")
    m = _NAME.match(requirement)
    if m is None or "@" in requirement:
        return None
    return f"{m.group(1)}{m.group(2) or ''}=={version}" + (f" ;{marker}" if semi else "")


def fix_conda_pip(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    mine = {f.location.line: f for f in findings if f.rule == RULE}
    if target.dockerfile is not None or not mine or dep_kind_of(str(target.path)) is not DepKind.CONDA_ENV:
        return out
    parsed = parse_dependency_file(
        target.source.text.encode("utf-8", "surrogateescape"), target.shown, DepKind.CONDA_ENV
    )
    entries = [d for d in parsed.dependencies if d.manager == "pip" and d.line in mine and d.spec.kind is SpecKind.NAME]
    if not entries:
        return out
    python = parsed.python if parsed.python and re.fullmatch(r"\d+\.\d+(\.\d+)?", parsed.python) else None
    try:
        if python is None:
            raise LookupFailed("the environment names no Python version to resolve its pip section for")
        versions = resolve_versions(ctx, [d.spec.raw for d in entries], python)
    except LookupFailed as exc:
        for d in entries:
            out.fail(mine[d.line], str(exc))
        return out
    for d in entries:
        finding = mine[d.line]
        version = versions.get(canonical(d.spec.name))
        new = pinned(d.spec.raw, version) if version else None
        text = target.source.line(d.line)
        col = text.find(d.spec.raw)
        if new is None or col < 0:
            out.fail(finding, f"`{d.spec.raw}` is not written plainly enough to pin")
            continue
        out.edits.append(
            Edit(
                target.shown,
                d.line,
                col,
                col + len(d.spec.raw),
                new,
                RULE,
                f"{d.spec.name}=={version} (resolved today)",
            )
        )
    return out


FIXER = Fixer({RULE: FixKind.UNSAFE}, fix_conda_pip)
