"""RC4xx: other installers in the Dockerfile: conda/mamba/micromamba, npm/yarn/pnpm, gem, go, cargo."""

from __future__ import annotations

from collections.abc import Iterator

from reprocheck.model.finding import Finding, Severity
from reprocheck.model.install import InstallCommand
from reprocheck.rules._api import RuleContext, rule
from reprocheck.rules._format import describe, plural, unpinned


def _report(inst: InstallCommand, ctx: RuleContext, hint: str) -> Iterator[Finding]:
    bad = unpinned(inst)
    if bad:
        yield ctx.finding(
            inst.line,
            f"`{inst.display}` of {plural(len(bad), 'package')} without an exact version: {describe(bad)}",
            hint=hint,
        )


@rule(
    "RC401",
    "conda-install-unpinned",
    Severity.ERROR,
    "conda/mamba/micromamba install without an exact version",
    on=InstallCommand,
)
def conda_install_unpinned(inst: InstallCommand, ctx: RuleContext) -> Iterator[Finding]:
    if inst.manager != "conda":
        return
    if inst.action == "update" and (inst.has("--all") or not inst.packages):
        yield ctx.finding(
            inst.line,
            f"`{inst.command.text(60)}` updates every package to the newest the channels hold today",
            hint="install an explicit lock instead: conda-lock or `conda list --explicit --md5` output",
        )
        return
    if inst.action in ("install", "create", "update"):
        yield from _report(
            inst,
            ctx,
            "pin versions with `==` (`numpy==1.26.4`); `=1.26` means any 1.26.* release, or use a conda-lock file",
        )


@rule(
    "RC402",
    "npm-install-unpinned",
    Severity.WARNING,
    "npm/yarn/pnpm install of a package without `@version`",
    on=InstallCommand,
    equivalents={"hadolint": ("DL3016",)},
)
def npm_install_unpinned(inst: InstallCommand, ctx: RuleContext) -> Iterator[Finding]:
    if inst.manager == "npm" and inst.action == "install":
        yield from _report(inst, ctx, "pin exact versions (`express@4.19.2`), or install from a lock with `npm ci`")


@rule(
    "RC403",
    "gem-install-unpinned",
    Severity.WARNING,
    "gem install without a version",
    on=InstallCommand,
    equivalents={"hadolint": ("DL3028",)},
)
def gem_install_unpinned(inst: InstallCommand, ctx: RuleContext) -> Iterator[Finding]:
    if inst.manager == "gem" and inst.action == "install":
        yield from _report(inst, ctx, "pin versions: `gem install rails:7.1.3` or `gem install rails -v 7.1.3`")


@rule(
    "RC404",
    "go-install-unpinned",
    Severity.WARNING,
    "go install/go get without `@version`",
    on=InstallCommand,
    equivalents={"hadolint": ("DL3062",)},
)
def go_install_unpinned(inst: InstallCommand, ctx: RuleContext) -> Iterator[Finding]:
    if inst.manager == "go":
        yield from _report(inst, ctx, "pin a version: `go install example.com/tool@v1.2.3`")


@rule(
    "RC405",
    "cargo-install-unpinned",
    Severity.WARNING,
    "cargo install without `--version` (or `--rev`)",
    on=InstallCommand,
)
def cargo_install_unpinned(inst: InstallCommand, ctx: RuleContext) -> Iterator[Finding]:
    if inst.manager == "cargo":
        yield from _report(inst, ctx, "pin a version and the lock: `cargo install ripgrep --version 14.1.0 --locked`")
