"""RC2xx: distribution packages (apt, apk, yum/dnf/microdnf, zypper)."""

from __future__ import annotations

from collections.abc import Iterator

from reprocheck.model.finding import Finding, Severity
from reprocheck.model.install import InstallCommand
from reprocheck.model.rule import FixKind
from reprocheck.rules._api import RuleContext, rule
from reprocheck.rules._format import describe, plural, unpinned


def _report(inst: InstallCommand, ctx: RuleContext, separator: str) -> Iterator[Finding]:
    if inst.action != "install":
        return
    bad = unpinned(inst)
    if not bad:
        return
    # the example names the package and no version: a version belongs to one release of the distribution,
    # and a hint quoting bookworm's curl for an Ubuntu or bullseye base sends the reader to a version that
    # does not exist there
    name = bad[0].name or "package"
    yield ctx.finding(
        inst.line,
        f"`{inst.display}` of {plural(len(bad), 'package')} without an exact version: {describe(bad)}",
        hint=f"pin each package, e.g. `{name}{separator}<version>`, with the version the base image's own release "
        f"has: `{_query(inst.manager).replace('<package>', name)}` in a container of the base image",
    )


def _query(manager: str) -> str:
    return {
        "apt": "apt-cache policy <package>",
        "apk": "apk policy <package>",
        "rpm": "dnf list --showduplicates <package>",
        "zypper": "zypper search -s <package>",
    }.get(manager, "the package index")


@rule(
    "RC201",
    "apt-install-unpinned",
    Severity.WARNING,
    "apt-get/apt install without `package=version`",
    on=InstallCommand,
    equivalents={"hadolint": ("DL3008",)},
    fix=FixKind.SAFE,
)
def apt_install_unpinned(inst: InstallCommand, ctx: RuleContext) -> Iterator[Finding]:
    if inst.manager == "apt":
        yield from _report(inst, ctx, "=")


@rule(
    "RC202",
    "apk-add-unpinned",
    Severity.WARNING,
    "apk add without `package=version`",
    on=InstallCommand,
    equivalents={"hadolint": ("DL3018",)},
    fix=FixKind.SAFE,
)
def apk_add_unpinned(inst: InstallCommand, ctx: RuleContext) -> Iterator[Finding]:
    if inst.manager == "apk":
        yield from _report(inst, ctx, "=")


@rule(
    "RC203",
    "rpm-install-unpinned",
    Severity.WARNING,
    "yum/dnf/microdnf/zypper install without an exact version",
    on=InstallCommand,
    equivalents={"hadolint": ("DL3033", "DL3041", "DL3037")},
)
def rpm_install_unpinned(inst: InstallCommand, ctx: RuleContext) -> Iterator[Finding]:
    if inst.manager == "rpm":
        yield from _report(inst, ctx, "-")
    elif inst.manager == "zypper":
        yield from _report(inst, ctx, "=")


@rule(
    "RC204",
    "os-package-upgrade",
    Severity.WARNING,
    "Whole-system upgrade (apt-get upgrade, apk upgrade, dnf update...)",
    on=InstallCommand,
    equivalents={"hadolint": ("DL3035",)},
    fix=FixKind.UNSAFE,
)
def os_package_upgrade(inst: InstallCommand, ctx: RuleContext) -> Iterator[Finding]:
    if inst.manager not in ("apt", "apk", "rpm", "zypper") or inst.action != "upgrade":
        return
    if inst.packages and all(p.pinned for p in inst.packages):
        return
    yield ctx.finding(
        inst.line,
        f"`{inst.command.text(60)}` upgrades to whatever the mirror holds on the day of the build",
        hint="pin a newer base image digest instead of upgrading in the image, or pin the packages you need",
    )
