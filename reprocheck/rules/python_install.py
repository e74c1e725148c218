"""RC3xx: Python packages installed by name in the Dockerfile (pip, python -m pip, uv pip, pipx, uv tool)."""

from __future__ import annotations

from collections.abc import Iterator

from reprocheck.model.finding import Finding, Severity
from reprocheck.model.install import InstallCommand, SpecKind
from reprocheck.model.rule import FixKind
from reprocheck.rules._api import RuleContext, rule
from reprocheck.rules._format import describe, plural


def _local_wheelhouse(inst: InstallCommand) -> bool:
    """``--no-index --find-links <dir in the image>``: the build context's wheel files are the pin."""
    links = inst.values("--find-links")
    return inst.has("--no-index") and bool(links) and all("://" not in link for link in links)


@rule(
    "RC301",
    "pip-install-unpinned",
    Severity.ERROR,
    "pip install of a package without `==version`",
    on=InstallCommand,
    equivalents={"hadolint": ("DL3013",)},
    fix=FixKind.UNSAFE,
)
def pip_install_unpinned(inst: InstallCommand, ctx: RuleContext) -> Iterator[Finding]:
    if inst.manager != "pip" or inst.action != "install" or _local_wheelhouse(inst) or inst.constraint_files:
        return  # names constrained by a -c file are judged with that file (dependency-file rules)
    bad = [p for p in inst.packages if p.kind is SpecKind.NAME and not p.pinned]
    if not bad:
        return
    upgrade = inst.has("--upgrade") and any(p.name.lower() in ("pip", "setuptools", "wheel") for p in bad)
    hint = "pin exact versions (`numpy==1.26.4`), or install a hashed lock with `-r requirements.txt`"
    if upgrade:
        hint = "pin the tool: `pip install pip==<version>` (upgrading pip to the newest changes every build)"
    yield ctx.finding(
        inst.line,
        f"`{inst.display}` of {plural(len(bad), 'package')} without an exact version: {describe(bad)}",
        hint=hint,
    )


@rule(
    "RC302",
    "pip-vcs-ref-not-commit",
    Severity.ERROR,
    "pip install from git (or another VCS) without a full commit id",
    on=InstallCommand,
    equivalents={"hadolint": ("DL3013",)},
    fix=FixKind.UNSAFE,
)
def pip_vcs_ref_not_commit(inst: InstallCommand, ctx: RuleContext) -> Iterator[Finding]:
    if inst.manager != "pip" or inst.action != "install":
        return
    for p in inst.packages:
        if p.kind is SpecKind.VCS and not p.pinned:
            yield ctx.finding(
                inst.line,
                f"`{p.raw}`: {p.reason}; branches and tags can point elsewhere tomorrow",
                hint="append @<40-hex commit id> to the URL (git ls-remote <url> <ref> prints it)",
            )
