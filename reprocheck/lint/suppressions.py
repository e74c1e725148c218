"""Unused suppressions (RC902, like ruff's RUF100): an ignore comment, or a ``per-file-ignores`` entry of the
configuration, that suppressed nothing in a run where the rules it names ran."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import NamedTuple

from reprocheck.model.finding import Finding, Severity
from reprocheck.model.location import Location
from reprocheck.model.rule import RuleMeta

from .selection import specificity

UNUSED = "RC902"
# NamedTuples, not dataclasses: generating a dataclass costs import time on the lint path.


class PragmaRecord(NamedTuple):
    """One ignore comment: where it is, the ``suppressed_by`` text it gives the findings it suppresses, and
    each selector as written with the rule ids it stands for (empty: not a reprocheck rule, never reported)."""

    path: str
    line: int
    text: str
    why: str
    selectors: tuple[tuple[str, tuple[str, ...]], ...]
    target: int | None = None  # line of the instruction it applies to (0: none); None for a whole file


def _unused_selectors(
    selectors: Iterable[tuple[str, tuple[str, ...]]], used: Collection[str], enabled: Collection[str]
) -> list[str]:
    """Selectors whose rules all ran and none of which was suppressed."""
    return [sel for sel, ids in selectors if ids and all(i in enabled for i in ids) and not any(i in used for i in ids)]


def unused_pragmas(
    records: Iterable[PragmaRecord], findings: Iterable[Finding], enabled: Collection[str], severity: Severity
) -> list[Finding]:
    """RC902 findings for the comments in ``records`` that suppressed none of ``findings``."""
    records = list(records)
    if not records:
        return []
    used: dict[tuple[str, str], set[str]] = {}
    for f in findings:
        if f.suppressed_by:
            used.setdefault((f.location.path, f.suppressed_by), set()).add(f.rule)
    out: list[Finding] = []
    for r in records:
        unused = _unused_selectors(r.selectors, used.get((r.path, r.why), set()), enabled)
        if not unused:
            continue
        names = ", ".join(f"`{s}`" for s in unused)
        if len(unused) == len(r.selectors):
            message = f"`# {r.text.strip()}` suppresses nothing: no {names} finding where it applies"
        else:
            verb = "suppresses" if len(unused) == 1 else "suppress"
            message = f"{names} in `# {r.text.strip()}` {verb} nothing: no such finding where it applies"
        out.append(
            Finding(
                UNUSED,
                severity,
                message,
                Location(r.path, r.line),
                hint="remove the comment (or the names it no longer needs)",
            )
        )
    return out


class PerFileIgnore(NamedTuple):
    glob: str
    selector: str

    def matches_path(self, path: str) -> bool:
        return fnmatch.fnmatch(path, self.glob) or fnmatch.fnmatch(os.path.basename(path), self.glob)

    def matches(self, path: str, meta: RuleMeta) -> bool:
        sel = self.selector
        hit = sel.upper() == "ALL" or specificity(sel, meta) > 0
        return hit and self.matches_path(path)


def per_file_ignores(table: Mapping[str, Sequence[str]]) -> list[PerFileIgnore]:
    return [PerFileIgnore(glob, sel) for glob, sels in table.items() for sel in sels]


def unused_per_file_ignores(
    entries: Iterable[PerFileIgnore],
    used: Collection[PerFileIgnore],
    files: Sequence[str],
    metas: Mapping[str, RuleMeta],
    enabled: Collection[str],
    where: tuple[str, str],
    severity: Severity,
) -> list[Finding]:
    """RC902 findings for config entries that matched a linted file, named rules that all ran, and still
    dropped nothing. ``where`` is the config file's path and text (for the line of the glob)."""
    from .config import key_line

    path, text = where
    out: list[Finding] = []
    for e in entries:
        if e in used or e.selector.upper() == "ALL" or not any(e.matches_path(f) for f in files):
            continue
        ids = [m.id for m in metas.values() if specificity(e.selector, m) > 0]
        if not ids or not all(i in enabled for i in ids):
            continue
        out.append(
            Finding(
                UNUSED,
                severity,
                f"per-file-ignores `{e.glob}` = `{e.selector}` suppresses nothing: no such finding in the files "
                "it matches",
                Location(path, key_line(text, e.glob) or 1),
                hint="remove the entry (or the rule from its list)",
            )
        )
    return out
