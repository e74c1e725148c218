"""Where a Dockerfile names an image, with the span of the reference in the text: FROM, ``COPY --from``,
``RUN --mount=...,from=...`` and the ``# syntax=`` directive.

This is the one function to swap for the model's own spans once parsing carries them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from reprocheck.model.dockerfile import CopyInstruction, Dockerfile, FromInstruction, ImageRef, RunInstruction
from reprocheck.parsing.image import parse_image_ref

from .edits import Source

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
            if "$" in written or ins.image.is_scratch or ins.image.is_stage_ref:
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
