"""Inline suppressions, one parser for Dockerfiles and dependency files.

- ``# reprocheck: ignore=RC301,pip-install-unpinned``: in a Dockerfile on the comment lines right above an
  instruction (that instruction); in a dependency file at the end of a line (that line);
- ``# reprocheck: ignore-file=RC102`` anywhere: the whole file;
- Dockerfiles only: ``# hadolint ignore=DL3008`` and ``# hadolint global ignore=DL3008``, the same for the
  reprocheck rules that declare that hadolint id among their equivalents (ShellCheck ``SC`` ids and other
  ``DL`` ids are left alone).

Selectors are rule ids, names or id prefixes; one that names no rule is reported (RC901), never ignored.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence

from reprocheck.model._value import valueclass
from reprocheck.model.dockerfile import Comment, Instruction
from reprocheck.model.patterns import lazy
from reprocheck.model.rule import RuleMeta

from .selection import specificity
from .suppressions import PragmaRecord

_OURS = re.compile(r"^\s*reprocheck\s*:\s*(ignore|ignore-file)\s*=\s*([\w\s,.-]*)$", re.IGNORECASE)
_HADOLINT = re.compile(r"^\s*hadolint\s+(global\s+)?ignore\s*=\s*([\w\s,]*)$", re.IGNORECASE)
_INLINE = lazy(r"#(\s*reprocheck\s*:[^#]*)")


@valueclass
class Pragma:
    """One suppression comment: what it names, and whether it covers the whole file."""

    line: int
    text: str  # the comment as written, without its ``#``
    file_wide: bool
    ids: tuple[str, ...]
    unknown: tuple[str, ...] = ()
    named: tuple[tuple[str, tuple[str, ...]], ...] = ()  # each selector as written, with the ids it stands for

    @property
    def why(self) -> str:
        return f"pragma `# {self.text.strip()}` (line {self.line})"


def _selectors(text: str) -> list[str]:
    return [s for s in re.split(r"[\s,]+", text) if s]


def _resolve(selectors: Sequence[str], metas: Mapping[str, RuleMeta]) -> tuple[list[str], list[str]]:
    ids: list[str] = []
    unknown: list[str] = []
    for sel in selectors:
        hit = [m.id for m in metas.values() if specificity(sel, m) > 0]
        if hit:
            ids.extend(hit)
        else:
            unknown.append(sel)
    return ids, unknown


def _hadolint(codes: Sequence[str], metas: Mapping[str, RuleMeta]) -> list[str]:
    wanted = {c.upper() for c in codes}
    return [m.id for m in metas.values() if wanted & set(m.equivalents.get("hadolint", ()))]


def parse(text: str, line: int, metas: Mapping[str, RuleMeta], hadolint: bool = True) -> Pragma | None:
    """A comment's text (after ``#``) as a pragma; None when it is not one."""
    ours = _OURS.match(text)
    if ours is not None:
        selectors = _selectors(ours.group(2))
        ids, unknown = _resolve(selectors, metas)
        named = tuple((sel, tuple(_resolve([sel], metas)[0])) for sel in selectors)
        return Pragma(line, text, ours.group(1).lower() == "ignore-file", tuple(ids), tuple(unknown), named)
    theirs = _HADOLINT.match(text) if hadolint else None
    if theirs is not None:
        codes = _selectors(theirs.group(2))
        named = tuple((code, tuple(_hadolint([code], metas))) for code in codes)
        return Pragma(line, text, bool(theirs.group(1)), tuple(_hadolint(codes, metas)), (), named)
    return None


class Pragmas:
    __slots__ = ("by_line", "file_wide", "invalid", "path", "records")

    def __init__(self, path: str = "") -> None:
        self.path = path
        self.by_line: dict[int, list[tuple[str, str]]] = {}  # line covered -> (rule, why)
        self.file_wide: list[tuple[str, str]] = []
        self.invalid: list[tuple[int, str]] = []  # (comment line, message)
        self.records: list[PragmaRecord] = []  # every pragma comment, to find the unused ones (RC902)

    def add(self, pragma: Pragma, covers: int | None) -> None:
        """Record a pragma; ``covers`` is the line it suppresses (None: nothing, unless file-wide)."""
        for u in pragma.unknown:
            self.invalid.append((pragma.line, f"`{u}` in `# {pragma.text.strip()}` names no reprocheck rule"))
        entries = [(i, pragma.why) for i in pragma.ids]
        # the record's target: None for the whole file, 0 when the comment covers nothing
        target = None if pragma.file_wide else (covers or 0)
        self.records.append(PragmaRecord(self.path, pragma.line, pragma.text, pragma.why, pragma.named, target))
        if pragma.file_wide:
            self.file_wide.extend(entries)
        elif covers is not None:
            self.by_line.setdefault(covers, []).extend(entries)

    def suppression(self, rule: str, line: int) -> str | None:
        for rid, why in self.by_line.get(line, ()):
            if rid == rule:
                return why
        for rid, why in self.file_wide:
            if rid == rule:
                return why
        return None


def collect(
    comments: Sequence[Comment], instructions: Sequence[Instruction], metas: Mapping[str, RuleMeta], path: str = ""
) -> Pragmas:
    """Dockerfiles: attach each pragma comment to the instruction that follows it (only comments in between)."""
    out = Pragmas(path)
    starts = sorted(i.line for i in instructions)
    occupied = {ln for i in instructions for ln in range(i.line, i.end_line + 1)}
    comment_lines = {x.line for x in comments}
    # bad_before[n]: how many of the lines 1..n-1 may not stand between a pragma and its instruction (not a
    # comment line, or inside an instruction); each pragma's check is then two look-ups, linear in the file
    last = max([*starts, *comment_lines, 0]) + 1
    bad_before = [0] * (last + 1)
    for ln in range(1, last):
        bad_before[ln + 1] = bad_before[ln] + (ln not in comment_lines or ln in occupied)
    for c in comments:
        pragma = parse(c.text, c.line, metas)
        if pragma is None:
            continue
        k = bisect_right(starts, c.line)
        target: int | None = starts[k] if k < len(starts) else None
        # only comment lines may stand between the pragma and its instruction
        if target is not None and bad_before[target] - bad_before[c.line + 1] > 0:
            target = None
        out.add(pragma, target)
    return out


def collect_inline(text: str, metas: Mapping[str, RuleMeta], path: str = "") -> Pragmas:
    """Dependency files: a pragma at the end of a line covers that line; ``ignore-file`` the whole file."""
    out = Pragmas(path)
    if "reprocheck" not in text:
        return out
    for number, line in enumerate(text.splitlines(), start=1):
        m = _INLINE.search(line)
        if m is None:
            continue
        pragma = parse(m.group(1).rstrip(), number, metas, hadolint=False)
        if pragma is not None:
            out.add(pragma, number)
    return out
