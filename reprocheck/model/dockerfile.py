from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import field
from functools import cached_property

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


class ImageKind(enum.StrEnum):
    """Where an image reference is written (``ImageUse.kind``)."""

    FROM = "from"  # FROM image
    COPY_FROM = "copy-from"  # COPY --from=image
    MOUNT_FROM = "mount-from"  # RUN --mount=...,from=image
    SYNTAX = "syntax"  # # syntax=image (the BuildKit frontend)


@node
class ImageUse(Node):
    """One image reference as written in the file, with its exact span: ``line`` is 1-based, ``column`` the
    1-based column of its first character and ``end_column`` the column just after its last (SARIF's
    convention), so ``source_line[column - 1 : end_column - 1] == image.written``. Both are None when the
    reference is not found verbatim on ``line`` (split by a line continuation). ``instruction`` is the index
    of its instruction in ``Dockerfile.instructions`` (-1 for the ``# syntax=`` directive)."""

    kind: ImageKind
    image: ImageRef
    line: int
    column: int | None = None
    end_column: int | None = None
    instruction: int = -1


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
    mount_images: tuple[ImageUse, ...] = ()  # --mount=...,from=<image> (stage references excluded)


@node
class CopyInstruction(Instruction):
    """COPY or ADD (``keyword`` tells which). ``sources`` are expanded; here-document sources are ``<<NAME``."""

    sources: tuple[str, ...] = ()
    dest: str = ""
    from_stage: str | None = None
    checksum: str | None = None
    from_image: ImageUse | None = None  # --from=<image> when it names no earlier stage


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
    syntax: ImageUse | None = None  # the `# syntax=` parser directive

    def in_stage(self, stage: int) -> tuple[Instruction, ...]:
        return self._by_stage.get(stage, ())

    def final_stage(self, target: str | None = None) -> int:
        """The index of the stage a build produces: ``target`` when given (by name), else the last one."""
        by_name = {s.alias.lower(): s.index for s in self.stages if s.alias}
        return by_name.get(target.lower(), len(self.stages) - 1) if target else len(self.stages) - 1

    def image_refs(self) -> tuple[ImageUse, ...]:
        """Every image the build pulls, in file order: the ``# syntax=`` frontend, FROM images (stage
        references and ``scratch`` left out), ``COPY --from=`` and ``RUN --mount=...,from=`` images. Each
        carries its kind, parsed ``ImageRef`` and exact span, for rules and for rewriting (``reprocheck fix``).
        References with unresolved variables are included (``image.unresolved``); a rewrite should skip them
        and those whose ``image.written`` differs from ``image.raw`` (the text comes from an ARG)."""
        out: list[ImageUse] = [self.syntax] if self.syntax is not None else []
        for ins in self.instructions:
            if isinstance(ins, FromInstruction):
                if ins.onbuild or ins.image.is_scratch or ins.image.is_stage_ref or not ins.image.written:
                    continue
                end = ins.column + len(ins.image.written) if ins.column is not None else None
                out.append(ImageUse(ImageKind.FROM, ins.image, ins.line, ins.column, end, ins.index))
            elif isinstance(ins, CopyInstruction):
                if ins.from_image is not None:
                    out.append(ins.from_image)
            elif isinstance(ins, RunInstruction):
                out.extend(ins.mount_images)
        return tuple(out)

    @cached_property
    def _by_stage(self) -> dict[int, tuple[Instruction, ...]]:
        """Instructions grouped by stage once: asking each stage in turn stays linear in the file."""
        groups: dict[int, list[Instruction]] = {}
        for i in self.instructions:
            groups.setdefault(i.stage, []).append(i)
        return {k: tuple(v) for k, v in groups.items()}
