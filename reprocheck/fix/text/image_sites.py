"""Where a Dockerfile names an image, with the span of the reference in the text: FROM, ``COPY --from``,
``RUN --mount=...,from=...`` and the ``# syntax=`` directive.

This is the one function to swap for the model's own spans once parsing carries them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from reprocheck.fix.text.edits import Source
from reprocheck.model.dockerfile import (
    CopyInstruction,
    Dockerfile,
    FromInstruction,
    ImageRef,
    KeyValueInstruction,
    RunInstruction,
)
from reprocheck.parsing.image import parse_image_ref

_WHOLE_VAR = re.compile(r"^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$")
_SYNTAX = re.compile(r"^(\s*#\s*syntax\s*=\s*)(\S+)\s*$", re.IGNORECASE)
_DIRECTIVE = re.compile(r"^\s*#\s*[a-zA-Z]+\s*=")


@dataclass(frozen=True, slots=True)
class ImageSite:
    kind: str  # from | copy-from | mount-from | syntax
    instruction_line: int  # where findings about it point
    line: int  # where the reference is written
    start_col: int
    end_col: int
    image: ImageRef


def whole_word(source: Source, first: int, last: int, token: str, prefix: str = "") -> tuple[int, int] | None:
    """The first whole-word occurrence of ``prefix + token`` on lines first..last: (line, column of token)."""
    pattern = re.compile(rf"(?:(?<=\s)|(?<=^)|(?<=,)|(?<==)){re.escape(prefix + token)}(?=\s|$|,|\\)")
    for number in range(first, last + 1):
        m = pattern.search(source.line(number))
        if m:
            return number, m.start() + len(prefix)
    return None


def image_sites(df: Dockerfile, source: Source) -> Iterator[ImageSite]:
    aliases = {s.alias.lower() for s in df.stages if s.alias}
    for number in range(1, len(source.lines) + 1):
        text = source.line(number)
        m = _SYNTAX.match(text)
        if m:
            ref = parse_image_ref(m.group(2), m.group(2))
            yield ImageSite("syntax", number, number, m.start(2), m.end(2), ref)
            break
        if not _DIRECTIVE.match(text):
            break
    for ins in df.instructions:
        if isinstance(ins, FromInstruction):
            written = ins.image.written
            if ins.image.is_scratch or ins.image.is_stage_ref:
                continue
            if "$" in written:
                site = _arg_default(df, source, ins)
                if site is not None:
                    yield site
                continue
            where = whole_word(source, ins.line, ins.end_line, written)
            if where:
                yield ImageSite("from", ins.line, where[0], where[1], where[1] + len(written), ins.image)
        elif isinstance(ins, CopyInstruction) and ins.from_stage:
            yield from _flag_image(source, ins.line, ins.end_line, ins.from_stage, "--from=", "copy-from", aliases)
        elif isinstance(ins, RunInstruction) and "mount" in ins.flags:
            for mount in ins.flags["mount"].split("\n"):
                for part in mount.split(","):
                    key, _, value = part.partition("=")
                    if key.strip().lower() == "from" and value:
                        yield from _flag_image(source, ins.line, ins.end_line, value, "from=", "mount-from", aliases)


def _arg_default(df: Dockerfile, source: Source, ins: FromInstruction) -> ImageSite | None:
    """``ARG BASE=python:3.11`` before the first FROM, and ``FROM ${BASE}``: the site is the ARG's default."""
    m = _WHOLE_VAR.match(ins.image.written)
    if m is None or ins.image.unresolved:
        return None
    name = m.group(1) or m.group(2)
    arg = next(
        (
            i
            for i in reversed(df.instructions)
            if isinstance(i, KeyValueInstruction)
            and i.keyword == "ARG"
            and i.stage < 0
            and i.line < ins.line
            and any(k == name and v for k, v in i.pairs)
        ),
        None,
    )
    if arg is None:
        return None
    value = dict(arg.pairs)[name] or ""
    pattern = re.compile(rf"(?:(?<=\s)|^){re.escape(name)}=([\"']?){re.escape(value)}\1(?=\s|$)")
    for number in range(arg.line, arg.end_line + 1):
        found = pattern.search(source.line(number))
        if found:
            start = found.start() + len(name) + 1 + len(found.group(1))
            return ImageSite("arg", ins.line, number, start, start + len(value), ins.image)
    return None


def _flag_image(
    source: Source, first: int, last: int, value: str, prefix: str, kind: str, aliases: set[str]
) -> Iterator[ImageSite]:
    if "$" in value or value.lower() in aliases or value.isdigit():
        return
    image = parse_image_ref(value, value)
    if image.tag is None and image.digest is None and image.registry is None and "/" not in value:
        return  # a bare word: a stage name of another file, or a build context (--build-context)
    where = whole_word(source, first, last, value, prefix)
    if where:
        yield ImageSite(kind, first, where[0], where[1], where[1] + len(value), image)
