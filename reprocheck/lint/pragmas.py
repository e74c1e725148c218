"""Inline suppressions, one parser for Dockerfiles and dependency files.

- ``# reprocheck: ignore=RC301,pip-install-unpinned``: in a Dockerfile on the comment lines right above an
  instruction (that instruction); in a dependency file at the end of a line (that line);
- ``# reprocheck: ignore-file=RC102`` anywhere: the whole file;
- Dockerfiles only, every form hadolint's own parser (``Hadolint.Pragma``) accepts: ``# hadolint
  ignore=DL3008``, ``# hadolint global ignore=DL3008`` (the file), ``# hadolint stage ignore=DL3008`` (above a
  FROM: that stage), spaces or tabs around ``=`` and ``,``; applied to the reprocheck rules that declare that
  hadolint id among their equivalents (ShellCheck ``SC`` ids and other ``DL`` ids are left alone).
  ``# hadolint shell=pwsh`` is a pragma too, with nothing for reprocheck to do.

Any of them may end with a reason after a second ``#`` (``# hadolint ignore=DL3006  # pinned upstream``),
which the suppressed findings carry. Selectors are rule ids, names or id prefixes; one that names no rule, or
a comment that looks like a pragma and is not one (``# hadolint: ignore=...``, ``ignore DL3006``, a reason
without its ``#``), is reported with why (RC901), never silently ignored.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence

from reprocheck.model._value import valueclass
from reprocheck.model.dockerfile import Comment, FromInstruction, Instruction
from reprocheck.model.finding import Finding
from reprocheck.model.location import Location
from reprocheck.model.patterns import lazy
from reprocheck.model.rule import RuleMeta

from .selection import specificity
from .suppressions import PragmaRecord

_REASON = r"(?:\s*#\s*(?P<reason>.*?))?\s*$"
_OURS = re.compile(
    r"^\s*reprocheck\s*:\s*(?P<kind>ignore-file|ignore)\s*=\s*(?P<list>[\w.-]+(?:[ \t,]+[\w.-]+)*)?[ \t,]*" + _REASON,
    re.IGNORECASE,
)
# hadolint: `hadolint` then at least one space, `global `/`stage ` maybe, `ignore`, `=`, codes of the letters
# D L S C and digits separated by commas, then a comment of its own or nothing
_CODE = r"[DLSCdlsc0-9]+"
_HADOLINT = re.compile(
    rf"^[ \t]*hadolint[ \t]+(?:(?P<scope>global|stage)[ \t]+)?ignore[ \t]*=[ \t]*"
    rf"(?P<list>{_CODE}(?:[ \t]*,[ \t]*{_CODE})*)" + _REASON,
    re.IGNORECASE,
)
_HADOLINT_SHELL = re.compile(r"^[ \t]*hadolint[ \t]+shell[ \t]*=[ \t]*[^\s#]+[ \t]*(?:#.*)?$", re.IGNORECASE)
# what a reader takes for a pragma: the tool's name, then (maybe a colon and a scope) a pragma-like keyword
_LOOKALIKE = re.compile(
    r"^\s*(?P<tool>hadolint|reprocheck)\b\s*(?P<colon>:?)\s*(?:(?P<scope>global|stage|file)\s+)?"
    r"(?P<keyword>ignore-file|ignore|disable|noqa|skip|suppress|shell)\b",
    re.IGNORECASE,
)
_INLINE = lazy(r"#(\s*reprocheck\b.*)")


@valueclass
class Pragma:
    """One suppression comment: what it names, and whether it covers the whole file (or, ``stage``, the
    stage whose FROM follows it)."""

    line: int
    text: str  # the comment as written, without its ``#``
    file_wide: bool
    ids: tuple[str, ...]
    unknown: tuple[str, ...] = ()
    named: tuple[tuple[str, tuple[str, ...]], ...] = ()  # each selector as written, with the ids it stands for
    reason: str | None = None  # the text after the pragma's own ``#``
    stage: bool = False
    problem: str | None = None  # set when the comment looks like a pragma and is not one: why

    @property
    def why(self) -> str:
        pragma = self.text.split("#", 1)[0].strip()  # a rule list holds no `#`: the first one starts the reason
        if self.reason:
            return f"pragma `# {pragma}` (line {self.line}), reason: {self.reason}"
        return f"pragma `# {pragma}` (line {self.line})"


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


def _problem(m: re.Match[str], text: str) -> str:
    """Why a comment that starts like a pragma is not one (the first thing wrong with it)."""
    tool, keyword = m.group("tool").lower(), m.group("keyword").lower()
    form = "# hadolint ignore=DL3006,SC2086" if tool == "hadolint" else "# reprocheck: ignore=RC301"
    if tool == "hadolint" and m.group("colon"):
        return f"hadolint pragmas take no colon (`{form}`); hadolint reads this comment as no pragma either"
    if tool == "reprocheck" and not m.group("colon"):
        return f"reprocheck pragmas need a colon after `reprocheck` (`{form}`)"
    scope = (m.group("scope") or "").lower()
    if (tool == "reprocheck" and scope) or (tool == "hadolint" and scope == "file"):
        return f"`{scope}` is not a scope here (`{form}`, or `ignore-file=` for the whole file)"
    allowed = ("ignore", "shell") if tool == "hadolint" else ("ignore", "ignore-file")
    if keyword not in allowed:
        return f"`{keyword}` is not a pragma keyword (`{form}`)"
    rest = text[m.end() :]
    if not rest.lstrip(" \t").startswith("="):
        return f"`{keyword}` must be followed by `=` and the rule list (`{form}`)"
    listed = rest.lstrip(" \t")[1:].split("#", 1)[0].strip()
    if not listed:
        return f"no rule after `=` (`{form}`)"
    if tool == "hadolint":
        bad = next((w for w in re.split(r"[ \t]*,[ \t]*", listed) if not re.fullmatch(_CODE, w)), None)
        if bad is not None and re.fullmatch(_CODE, bad.split()[0]):
            return (
                f"text after the rule list must start with its own `#` (`{form}  # reason`); hadolint reads "
                "this comment as no pragma either"
            )
        if bad is not None:
            return f"`{bad}` is not a hadolint rule code (DLxxxx or SCxxxx); hadolint drops the whole comment"
    return f"not a pragma form (`{form}`, optionally followed by `  # reason`)"


def parse(text: str, line: int, metas: Mapping[str, RuleMeta], hadolint: bool = True) -> Pragma | None:
    """A comment's text (after ``#``) as a pragma; None when it is not one (and does not look like one). A
    comment that looks like a pragma and is not one is returned with ``problem`` set and nothing to suppress."""
    ours = _OURS.match(text)
    if ours is not None and ours.group("list"):
        selectors = _selectors(ours.group("list"))
        ids, unknown = _resolve(selectors, metas)
        named = tuple((sel, tuple(_resolve([sel], metas)[0])) for sel in selectors)
        file_wide = ours.group("kind").lower() == "ignore-file"
        reason = ours.group("reason") or None
        return Pragma(line, text, file_wide, tuple(ids), tuple(unknown), named, reason)
    theirs = _HADOLINT.match(text) if hadolint else None
    if theirs is not None:
        codes = _selectors(theirs.group("list"))
        named = tuple((code, tuple(_hadolint([code], metas))) for code in codes)
        scope = (theirs.group("scope") or "").lower()
        found = tuple(_hadolint(codes, metas))
        return Pragma(line, text, scope == "global", found, (), named, theirs.group("reason") or None, scope == "stage")
    if hadolint and _HADOLINT_SHELL.match(text):
        return None
    look = _LOOKALIKE.match(text)
    if look is None or (not hadolint and look.group("tool").lower() == "hadolint"):
        return None
    return Pragma(line, text, False, (), problem=_problem(look, text))


class Pragmas:
    __slots__ = ("by_line", "file_wide", "invalid", "path", "ranges", "records")

    def __init__(self, path: str = "") -> None:
        self.path = path
        self.by_line: dict[int, list[tuple[str, str]]] = {}  # line covered -> (rule, why)
        self.file_wide: list[tuple[str, str]] = []
        self.ranges: list[tuple[int, int, str, str]] = []  # stage pragmas: (first line, last line, rule, why)
        self.invalid: list[tuple[int, str]] = []  # (comment line, message)
        self.records: list[PragmaRecord] = []  # every pragma comment, to find the unused ones (RC902)

    def add(self, pragma: Pragma, covers: int | None, until: int | None = None) -> None:
        """Record a pragma; ``covers`` is the line it suppresses (None: nothing, unless file-wide), through
        ``until`` for a stage pragma."""
        if pragma.problem is not None:
            self.invalid.append((pragma.line, f"`# {pragma.text.strip()}` is not a pragma: {pragma.problem}"))
            return
        for u in pragma.unknown:
            self.invalid.append((pragma.line, f"`{u}` in `# {pragma.text.strip()}` names no reprocheck rule"))
        entries = [(i, pragma.why) for i in pragma.ids]
        # the record's target: None for the whole file, 0 when the comment covers nothing
        target = None if pragma.file_wide else (covers or 0)
        self.records.append(PragmaRecord(self.path, pragma.line, pragma.text, pragma.why, pragma.named, target))
        if pragma.file_wide:
            self.file_wide.extend(entries)
        elif covers is not None and until is not None:
            self.ranges.extend((covers, until, rid, why) for rid, why in entries)
        elif covers is not None:
            self.by_line.setdefault(covers, []).extend(entries)

    def suppression(self, rule: str, line: int) -> str | None:
        for rid, why in self.by_line.get(line, ()):
            if rid == rule:
                return why
        for first, last, rid, why in self.ranges:
            if rid == rule and first <= line <= last:
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
    froms = {i.line for i in instructions if isinstance(i, FromInstruction)}
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
        until = None
        if pragma.stage and pragma.problem is None:
            if target is None or target not in froms:
                pragma = Pragma(c.line, c.text, False, (), problem="a `stage` pragma must stand right above a FROM")
            else:
                later = [ln for ln in sorted(froms) if ln > target]
                until = later[0] - 1 if later else max(i.end_line for i in instructions)
        out.add(pragma, target, until)
    return out


def collect_inline(text: str, metas: Mapping[str, RuleMeta], path: str = "") -> Pragmas:
    """Dependency files: a pragma at the end of a line covers that line; ``ignore-file`` the whole file."""
    out = Pragmas(path)
    if "reprocheck" not in text.lower():
        return out
    for number, line in enumerate(text.splitlines(), start=1):
        m = _INLINE.search(line)
        if m is None:
            continue
        pragma = parse(m.group(1).rstrip(), number, metas, hadolint=False)
        if pragma is not None:
            out.add(pragma, number)
    return out


REFUSED = "RC903"


def refused_pragmas(pragmas: Pragmas) -> list[Finding]:
    """With ``disallow-inline-ignores``: each suppression comment as a finding (RC903); none is applied."""
    from reprocheck.rules import META

    severity = META[REFUSED].severity
    return [
        Finding(
            REFUSED,
            severity,
            f"inline suppression `# {r.text.strip()}` is refused: the configuration sets `disallow-inline-ignores`,"
            " so the findings it names stay",
            Location(r.path, r.line),
            hint="fix the finding, or ask the configuration's owners for a `per-file-ignores` entry",
        )
        for r in pragmas.records
    ]
