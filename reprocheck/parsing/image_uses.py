"""Images named outside FROM: ``COPY --from=<image>``, ``RUN --mount=...,from=<image>`` and the ``# syntax=``
parser directive, each located to its exact span in the source so that it can be judged and rewritten."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from reprocheck.model.dockerfile import ImageKind, ImageUse
from reprocheck.model.patterns import lazy
from reprocheck.parsing.image import parse_image_ref
from reprocheck.parsing.shell import expand_vars

# Parser directives: `# key=value` lines at the very top, before any other line (comment, blank or instruction).
_DIRECTIVE = re.compile(r"^[ \t]*#[ \t]*([A-Za-z][\w-]*)[ \t]*=[ \t]*(\S*)[ \t]*$")


def syntax_directive(text: str) -> ImageUse | None:
    """The ``# syntax=<image>`` directive, if the file starts with one (among its other directives)."""
    for k, line in enumerate(text.splitlines()[:16]):
        m = _DIRECTIVE.match(line)
        if m is None:
            return None
        if m.group(1).lower() == "syntax" and m.group(2):
            value = m.group(2)
            col = m.start(2) + 1
            return ImageUse(ImageKind.SYNTAX, parse_image_ref(value, value), k + 1, col, col + len(value))
    return None


def _is_stage(value: str, aliases: Mapping[str, int]) -> bool:
    return value.isdigit() or value.lower() in aliases


def _locate(lines: Sequence[str], start: int, end: int, pattern: re.Pattern[str]) -> tuple[int, int | None, int | None]:
    """1-based (line, column, end column) of the group ``v`` of the first match of ``pattern`` in source lines
    ``start..end`` (0-based, inclusive); the start line and no columns when it is not on one line."""
    for k in range(start, min(end, len(lines) - 1) + 1):
        m = pattern.search(lines[k])
        if m is not None:
            return k + 1, m.start("v") + 1, m.end("v") + 1
    return start + 1, None, None


def image_use(
    kind: ImageKind,
    written: str,
    env: Mapping[str, str],
    aliases: Mapping[str, int],
    where: tuple[Sequence[str], int, int, re.Pattern[str]],
    instruction: int,
) -> ImageUse | None:
    """The ImageUse of a ``--from``/``from=`` value, or None when it names a build stage."""
    if not written or _is_stage(written, aliases):
        return None
    raw = expand_vars(written, env)
    if _is_stage(raw, aliases):
        return None
    line, col, end = _locate(*where)
    return ImageUse(kind, parse_image_ref(raw, written), line, col, end, instruction)


def copy_from_pattern(written: str) -> re.Pattern[str]:
    return re.compile(r"--from=[\"']?(?P<v>" + re.escape(written) + r")(?=[\"'\s]|$)", re.IGNORECASE)


def mount_from_pattern(written: str) -> re.Pattern[str]:
    return re.compile(r"[,=\s\"']from=(?P<v>" + re.escape(written) + r")(?=[,\"'\s]|$)", re.IGNORECASE)


_FIELD = lazy(r'(?:"[^"]*"|[^,])+')


def mount_sources(flag: str) -> list[str]:
    """The ``from=`` values of a RUN's ``--mount`` flags (one mount per line of ``flag``): comma-separated
    ``key=value`` fields, a field possibly quoted whole (``"from=img"``) as BuildKit's CSV reader allows."""
    out: list[str] = []
    for spec in flag.splitlines():
        for m in _FIELD.finditer(spec):
            key, eq, value = m.group(0).strip().replace('"', "").partition("=")
            if eq and key.strip().lower() == "from" and value:
                out.append(value)
    return out
