"""Recognise package-manager commands in RUN instructions: one parser per family, one dispatch table."""

from __future__ import annotations

from collections.abc import Callable

from reprocheck.model.install import InstallCommand
from reprocheck.model.shell import ShellCommand
from reprocheck.parsing.installers.conda import parse_conda
from reprocheck.parsing.installers.os_packages import parse_apk, parse_apt, parse_rpm, parse_zypper
from reprocheck.parsing.installers.other import parse_cargo, parse_gem, parse_go, parse_node
from reprocheck.parsing.installers.python import parse_python_tool

Parser = Callable[[ShellCommand], InstallCommand | None]

_BY_NAME: dict[str, Parser] = {
    "apt-get": parse_apt,
    "apt": parse_apt,
    "aptitude": parse_apt,
    "apk": parse_apk,
    "yum": parse_rpm,
    "dnf": parse_rpm,
    "dnf5": parse_rpm,
    "microdnf": parse_rpm,
    "tdnf": parse_rpm,
    "zypper": parse_zypper,
    "conda": parse_conda,
    "mamba": parse_conda,
    "micromamba": parse_conda,
    "npm": parse_node,
    "yarn": parse_node,
    "pnpm": parse_node,
    "gem": parse_gem,
    "go": parse_go,
    "cargo": parse_cargo,
}


def parse_install(cmd: ShellCommand) -> InstallCommand | None:
    """The install command ``cmd`` is, or None when it installs nothing we judge."""
    if not cmd.argv:
        return None
    parser = _BY_NAME.get(cmd.name, parse_python_tool)
    return parser(cmd)
