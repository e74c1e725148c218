from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import field

from reprocheck.model._node import Node, node
from reprocheck.model.shell import ShellCommand


class SpecKind(enum.StrEnum):
    NAME = "name"  # a registry package name, maybe with a version constraint
    URL = "url"  # a direct URL to an archive
    VCS = "vcs"  # git+https://..., github:user/repo ...
    PATH = "path"  # a local file or directory (judged by the dependency-file checks)
    VARIABLE = "variable"  # an unresolved $VAR: cannot be judged statically


@node
class PackageSpec(Node):
    """One package argument of an install command.

    ``pinned`` is True when the argument names exactly one version (or one commit, or one file);
    ``reason`` says why not otherwise, in words fit for a message.
    """

    raw: str
    name: str
    kind: SpecKind = SpecKind.NAME
    version: str | None = None
    pinned: bool = False
    reason: str = ""


@node
class InstallCommand(Node):
    """A package-manager command found in a RUN instruction.

    ``manager`` is the family (``pip``, ``apt``, ``apk``, ``rpm``, ``zypper``, ``conda``, ``npm``,
    ``gem``, ``go``, ``cargo``, ``uv``, ``poetry``, ``pipenv``...), ``tool`` the program as written
    (``apt-get``, ``uv pip``, ``micromamba``), ``action`` the subcommand (``install``, ``upgrade``, ``sync``).
    """

    manager: str
    tool: str
    action: str
    command: ShellCommand
    packages: tuple[PackageSpec, ...] = ()
    requirement_files: tuple[str, ...] = ()
    constraint_files: tuple[str, ...] = ()
    options: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    verb: str = ""  # the subcommand as written when it differs from action (`add`, `in`, `i`)

    @property
    def display(self) -> str:
        """``apk add``, ``pip install``: the command as the user wrote it, for messages."""
        return f"{self.tool} {self.verb or self.action}"

    @property
    def line(self) -> int:
        return self.command.line

    def has(self, *names: str) -> bool:
        return any(n in self.options for n in names)

    def values(self, *names: str) -> tuple[str, ...]:
        out: list[str] = []
        for n in names:
            out.extend(self.options.get(n, ()))
        return tuple(out)
