"""RC302/RC604: a pip VCS requirement (``git+https://host/o/r.git@main``), in a RUN or in a requirements
file, gets the full commit its ref (or the default branch) has now, from ``git ls-remote``. Unsafe: the
commit is today's. An archive URL in a requirements file gets its sha256 (url_hashes.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from reprocheck.model.dockerfile import RunInstruction
from reprocheck.model.finding import Finding
from reprocheck.model.install import SpecKind
from reprocheck.parsing.versions import has_variable, is_commit

from ._api import FixContext, Fixer, FixKind, Outcome, Target
from .edits import Edit
from .oci import LookupFailed
from .remote import ls_remote
from .url_hashes import hash_url_entry

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


FIXER = Fixer({"RC302": FixKind.UNSAFE, "RC604": FixKind.UNSAFE}, fix_vcs)
