"""Distribution package managers: apt-get/apt/aptitude, apk, yum/dnf/microdnf/tdnf, zypper."""

from __future__ import annotations

import re

from reprocheck.model.install import InstallCommand, PackageSpec, SpecKind
from reprocheck.model.patterns import lazy
from reprocheck.model.shell import ShellCommand
from reprocheck.parsing.installers.options import OptionSpec, split_options
from reprocheck.parsing.versions import has_variable

_APT = OptionSpec(
    with_arg=frozenset(
        {
            "-o",
            "--option",
            "-c",
            "--config-file",
            "-t",
            "--target-release",
            "--default-release",
            "-a",
            "--host-architecture",
            "--error-on",
        }
    ),
    aliases={"-t": "--target-release", "-o": "--option", "-y": "--yes", "-q": "--quiet"},
)
_APK = OptionSpec(
    with_arg=frozenset(
        {
            "-t",
            "--virtual",
            "-X",
            "--repository",
            "-p",
            "--root",
            "--arch",
            "--keys-dir",
            "--repositories-file",
            "--cache-dir",
            "--wait",
            "--cache-max-age",
            "--timeout",
        }
    ),
    aliases={"-t": "--virtual", "-X": "--repository", "-U": "--update-cache"},
)
_RPM = OptionSpec(
    with_arg=frozenset(
        {
            "-x",
            "--exclude",
            "--installroot",
            "--releasever",
            "-c",
            "--config",
            "--repo",
            "--repoid",
            "--repofrompath",
            "--forcearch",
            "--setopt",
            "--enablerepo",
            "--disablerepo",
            "-d",
            "--debuglevel",
            "-e",
            "--errorlevel",
            "--rpmverbosity",
            "--disableplugin",
            "--enableplugin",
            "--downloaddir",
            "--destdir",
            "--color",
            "--comment",
            "--advisory",
            "--advisories",
            "--bz",
            "--cve",
            "--sec-severity",
            "--secseverity",
            "--security-severity",
        }
    ),
)
_ZYPPER = OptionSpec(
    with_arg=frozenset(
        {
            "-r",
            "--repo",
            "-t",
            "--type",
            "--from",
            "-R",
            "--root",
            "--installroot",
            "-D",
            "--reposd-root",
            "-C",
            "--cache-dir",
            "--download",
        }
    ),
)

_APT_UPGRADES = frozenset({"upgrade", "dist-upgrade", "full-upgrade", "safe-upgrade"})
_RPM_UPGRADES = frozenset(
    {"update", "upgrade", "distro-sync", "distrosync", "dsync", "update-minimal", "upgrade-minimal"}
)
_RPM_INSTALLS = frozenset({"install", "in", "localinstall", "reinstall", "groupinstall"})
_RPM_VERSION = lazy(r"-(\d+:)?\d+(\.[0-9A-Za-z_+~^]+)+(-[0-9A-Za-z_.+~^]+)?(\.(noarch|x86_64|aarch64|i686))?$")


def _spec(raw: str, pinned: bool, name: str, version: str | None, reason: str) -> PackageSpec:
    if has_variable(raw):
        return PackageSpec(raw, raw, SpecKind.VARIABLE)
    if raw.endswith((".deb", ".rpm", ".apk")) or raw.startswith(("/", "./", "../")):
        return PackageSpec(raw, raw, SpecKind.PATH)
    if "://" in raw:
        return PackageSpec(raw, raw, SpecKind.URL, pinned=True)
    return PackageSpec(raw, name, version=version, pinned=pinned, reason=reason)


def _apt_spec(raw: str) -> PackageSpec:
    name, eq, version = raw.partition("=")
    if eq and version and not any(ch in version for ch in "*?["):
        return _spec(raw, True, name, version, "")
    if "/" in name and not eq:
        return _spec(raw, False, name.split("/", 1)[0], None, f"`{raw}` selects a release, not a version")
    if eq:
        return _spec(raw, False, name, None, f"`{raw}` is a version pattern")
    return _spec(raw, False, name, None, "no version")


def parse_apt(cmd: ShellCommand) -> InstallCommand | None:
    parsed = split_options(cmd.args, _APT)
    if not parsed.positionals:
        return None
    sub, pos = parsed.positionals[0], parsed.positionals[1:]
    options = parsed.frozen()
    if sub in _APT_UPGRADES:
        return InstallCommand("apt", cmd.name, "upgrade", cmd, options=options)
    if sub not in ("install", "reinstall"):
        return None
    pkgs = tuple(_apt_spec(p) for p in pos if not p.startswith("-"))
    return InstallCommand("apt", cmd.name, "install", cmd, packages=pkgs, options=options, verb=sub)


def _apk_spec(raw: str) -> PackageSpec:
    m = re.match(r"([^=<>~@]+)(=|~=|~|>=|<=|>|<)?([^@]*)(@\S+)?$", raw)
    if not m:
        return _spec(raw, False, raw, None, "no version")
    name, op, version, tag = m.groups()
    if op == "=" and version and not tag:
        return _spec(raw, True, name, version, "")
    if tag and not op:
        return _spec(raw, False, name, None, f"`{tag}` selects a repository, not a version")
    if op:
        return _spec(raw, False, name, None, f"`{op}{version}` is not an exact version")
    return _spec(raw, False, name, None, "no version")


def parse_apk(cmd: ShellCommand) -> InstallCommand | None:
    parsed = split_options(cmd.args, _APK)
    if not parsed.positionals:
        return None
    sub, pos = parsed.positionals[0], parsed.positionals[1:]
    options = parsed.frozen()
    if sub == "upgrade":
        return InstallCommand("apk", "apk", "upgrade", cmd, packages=tuple(_apk_spec(p) for p in pos), options=options)
    if sub != "add":
        return None
    return InstallCommand(
        "apk", "apk", "install", cmd, packages=tuple(_apk_spec(p) for p in pos), options=options, verb="add"
    )


def _rpm_spec(raw: str) -> PackageSpec:
    if raw.startswith("@"):
        return _spec(raw, False, raw, None, "a package group cannot be pinned")
    m = _RPM_VERSION.search(raw)
    if m:
        return _spec(raw, True, raw[: m.start()], raw[m.start() + 1 :], "")
    if re.search(r"[<>=]", raw):
        return _spec(raw, False, re.split(r"[<>=]", raw, maxsplit=1)[0], None, f"`{raw}` is not an exact version")
    return _spec(raw, False, raw, None, "no version")


def parse_rpm(cmd: ShellCommand) -> InstallCommand | None:
    parsed = split_options(cmd.args, _RPM)
    pos = parsed.positionals
    if not pos:
        return None
    sub = pos[0]
    rest = pos[1:]
    if sub in ("group", "groups", "module") and rest:
        sub, rest = rest[0], rest[1:]
        if sub == "install":
            rest = ["@" + r for r in rest]
    options = parsed.frozen()
    if sub in _RPM_UPGRADES:
        return InstallCommand(
            "rpm",
            cmd.name,
            "upgrade",
            cmd,
            packages=tuple(_rpm_spec(p) for p in rest),
            options=options,
            verb=sub,
        )
    if sub not in _RPM_INSTALLS:
        return None
    if sub == "groupinstall":
        rest = ["@" + r for r in rest]
    return InstallCommand(
        "rpm", cmd.name, "install", cmd, packages=tuple(_rpm_spec(p) for p in rest), options=options, verb=sub
    )


def _zypper_spec(raw: str) -> PackageSpec:
    name, op, version = re.match(r"([^<>=]+)(==|=|>=|<=|>|<)?(.*)$", raw).groups()  # type: ignore[union-attr]
    if op in ("=", "==") and version and "*" not in version:
        return _spec(raw, True, name, version, "")
    if op:
        return _spec(raw, False, name, None, f"`{op}{version}` is not an exact version")
    return _spec(raw, False, name, None, "no version")


def parse_zypper(cmd: ShellCommand) -> InstallCommand | None:
    parsed = split_options(cmd.args, _ZYPPER)
    if not parsed.positionals:
        return None
    sub, pos = parsed.positionals[0], parsed.positionals[1:]
    options = parsed.frozen()
    if sub in ("dist-upgrade", "dup", "update", "up", "patch"):
        return InstallCommand("zypper", "zypper", "upgrade", cmd, options=options)
    if sub not in ("install", "in"):
        return None
    return InstallCommand(
        "zypper",
        "zypper",
        "install",
        cmd,
        packages=tuple(_zypper_spec(p) for p in pos),
        options=options,
        verb=sub,
    )
