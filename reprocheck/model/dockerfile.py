from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field

from reprocheck.model._node import Node, node
from reprocheck.model.install import InstallCommand
from reprocheck.model.shell import ShellCommand

DEFAULT_SHELL = ("/bin/sh", "-c")


@node
class ImageRef(Node):
    """A base image reference after ARG substitution.

    ``written`` is the text in the file, ``raw`` the text with known ARG defaults substituted.
    ``unresolved`` names the variables that have no default (the reference cannot be judged).
    """

    raw: str
    written: str
    registry: str | None = None
    repository: str = ""
    tag: str | None = None
    digest: str | None = None
    is_scratch: bool = False
    is_stage_ref: bool = False
    unresolved: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}" if self.registry else self.repository


@node
class Instruction(Node):
    """One Dockerfile instruction. ``line``/``end_line`` are 1-based; ``value`` is the argument text
    with continuation lines joined and flags removed. ``stage`` is -1 before the first FROM."""

    keyword: str
    line: int
    end_line: int
    value: str
    index: int
    stage: int
    flags: Mapping[str, str] = field(default_factory=dict)
    onbuild: bool = False
    heredocs: tuple[str, ...] = ()  # delimiters of BuildKit here-documents (RUN, COPY, ADD)


@node
class FromInstruction(Instruction):
    image: ImageRef = field(default_factory=lambda: ImageRef("", ""))
    alias: str | None = None
    platform: str | None = None
    column: int | None = None


@node
class RunInstruction(Instruction):
    """A RUN. ``script`` is the shell text (here-documents included) or None for exec form (``argv``)."""

    script: str | None = None
    argv: tuple[str, ...] = ()
    shell: tuple[str, ...] = DEFAULT_SHELL
    commands: tuple[ShellCommand, ...] = ()
    installs: tuple[InstallCommand, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)


@node
class CopyInstruction(Instruction):
    """COPY or ADD (``keyword`` tells which). ``sources`` are expanded; here-document sources are ``<<NAME``."""

    sources: tuple[str, ...] = ()
    dest: str = ""
    from_stage: str | None = None
    checksum: str | None = None


@node
class KeyValueInstruction(Instruction):
    """ARG or ENV: ``pairs`` of name and value (None for an ARG without default)."""

    pairs: tuple[tuple[str, str | None], ...] = ()


@node
class Comment(Node):
    line: int
    text: str


@node
class Stage(Node):
    index: int
    line: int
    alias: str | None
    image: ImageRef
    parent: int | None  # index of the stage this one builds FROM, if any


@node
class ParseIssue(Node):
    """Something in a file that does not parse; becomes an RC900 finding."""

    line: int
    message: str
    column: int | None = None


@node
class Dockerfile(Node):
    path: str
    instructions: tuple[Instruction, ...]
    stages: tuple[Stage, ...]
    comments: tuple[Comment, ...]
    issues: tuple[ParseIssue, ...]
    line_count: int

    def in_stage(self, stage: int) -> tuple[Instruction, ...]:
        return tuple(i for i in self.instructions if i.stage == stage)

    def final_stage(self, target: str | None = None) -> int:
        """The index of the stage a build produces: ``target`` when given (by name), else the last one."""
        by_name = {s.alias.lower(): s.index for s in self.stages if s.alias}
        return by_name.get(target.lower(), len(self.stages) - 1) if target else len(self.stages) - 1
