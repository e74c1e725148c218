"""Inline suppressions in Dockerfiles.

- ``# reprocheck: ignore=RC301,pip-install-unpinned`` on the comment lines right above an instruction;
- ``# reprocheck: ignore-file=RC102`` anywhere: the whole file;
- ``# hadolint ignore=DL3008`` and ``# hadolint global ignore=DL3008``: the same, for the reprocheck rules that
  declare that hadolint id among their equivalents (ShellCheck ``SC`` ids and other ``DL`` ids are left alone).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from reprocheck.model.dockerfile import Comment, Instruction
from reprocheck.model.rule import RuleMeta

from .selection import specificity
from .suppressions import PragmaRecord

_OURS = re.compile(r"^\s*reprocheck\s*:\s*(ignore|ignore-file)\s*=\s*([\w\s,.-]*)$", re.IGNORECASE)
_HADOLINT = re.compile(r"^\s*hadolint\s+(global\s+)?ignore\s*=\s*([\w\s,]*)$", re.IGNORECASE)


class Pragmas:
    __slots__ = ("by_line", "file_wide", "invalid", "records")

    def __init__(self) -> None:
        self.by_line: dict[int, list[tuple[str, str]]] = {}  # instruction line -> (rule, why)
        self.file_wide: list[tuple[str, str]] = []
        self.invalid: list[tuple[int, str]] = []  # (comment line, message)
        self.records: list[PragmaRecord] = []  # every pragma comment, to find the unused ones

    def suppression(self, rule: str, line: int) -> str | None:
        for rid, why in self.by_line.get(line, ()):
            if rid == rule:
                return why
        for rid, why in self.file_wide:
            if rid == rule:
                return why
        return None


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


def collect(
    comments: Sequence[Comment], instructions: Sequence[Instruction], metas: Mapping[str, RuleMeta], path: str = ""
) -> Pragmas:
    """Attach each pragma comment to the instruction that follows it (only comments in between)."""
    out = Pragmas()
    starts = sorted(i.line for i in instructions)
    occupied = {ln for i in instructions for ln in range(i.line, i.end_line + 1)}
    comment_lines = {x.line for x in comments}
    for c in comments:
        ours = _OURS.match(c.text)
        theirs = _HADOLINT.match(c.text) if ours is None else None
        if ours is None and theirs is None:
            continue
        why = f"pragma `# {c.text.strip()}` (line {c.line})"
        if ours:
            selectors = [s for s in re.split(r"[\s,]+", ours.group(2)) if s]
            ids, unknown = _resolve(selectors, metas)
            for u in unknown:
                out.invalid.append((c.line, f"`{u}` in `# {c.text.strip()}` names no reprocheck rule"))
            file_wide = ours.group(1).lower() == "ignore-file"
            named = [(s, tuple(_resolve([s], metas)[0])) for s in selectors]
        else:
            assert theirs is not None
            codes = [s for s in re.split(r"[\s,]+", theirs.group(2)) if s]
            ids = _hadolint(codes, metas)
            file_wide = bool(theirs.group(1))
            named = [(code, tuple(_hadolint([code], metas))) for code in codes]
        if file_wide:
            out.records.append(PragmaRecord(path, c.line, c.text, why, tuple(named)))
            out.file_wide.extend((i, why) for i in ids)
            continue
        target = next((s for s in starts if s > c.line), None)
        # only comment lines may stand between the pragma and its instruction
        if (
            target is None
            or any(ln in occupied for ln in range(c.line + 1, target))
            or set(range(c.line + 1, target)) - comment_lines
        ):
            out.records.append(PragmaRecord(path, c.line, c.text, why, tuple(named), 0))
            continue
        out.records.append(PragmaRecord(path, c.line, c.text, why, tuple(named), target))
        out.by_line.setdefault(target, []).extend((i, why) for i in ids)
    return out
