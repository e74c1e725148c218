"""The rule catalogue: ``rules/RCxxx-name.md`` files (TOML front matter + Markdown), shipped in the package.

Each file documents one rule and carries its examples: fenced blocks whose info string says ``bad`` or
``good`` (optionally a number, and ``file=NAME`` for multi-file examples). Blocks with the same label and
number form one example project. The examples run as tests. A rule with a fix says what ``reprocheck fix``
writes and where the pin comes from in its ``## Fix`` section, a ``| writes | from |`` table (one row per
fix); ``reprocheck rules --fixable`` prints them all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

_FRONT = re.compile(r"\A\+\+\+\n(.*?)\n\+\+\+\n(.*)\Z", re.DOTALL)
_FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```\s*$", re.DOTALL | re.MULTILINE)
_CELL = re.compile(r"(?<!\\)\|")  # a table cell's border: a pipe that is not escaped (`curl URL \| sh`)
FIX_HEADER = ("writes", "from")
HELP_BASE = "https://github.com/reprocheck/reprocheck/blob/main/rules/"


@dataclass(frozen=True, slots=True)
class Example:
    label: str  # "bad" | "good"
    number: int
    files: dict[str, str] = field(default_factory=dict)  # file name -> content


@dataclass(frozen=True, slots=True)
class FixText:
    """One fix of a rule, as its page's ``## Fix`` table says: what it writes, where the pin comes from
    (Markdown, with the table's escaped pipes unescaped)."""

    writes: str
    source: str


@dataclass(frozen=True, slots=True)
class RuleDoc:
    id: str
    name: str
    severity: str
    since: str
    needs: str
    fix: str
    equivalents: dict[str, tuple[str, ...]]
    body: str
    filename: str
    examples: tuple[Example, ...]
    example_options: dict[str, Any] = field(default_factory=dict)
    example_select: tuple[str, ...] = ()  # other rules the examples need running (RC902 judges their pragmas)
    fixes: tuple[FixText, ...] = ()  # the ``## Fix`` table: what ``reprocheck fix`` writes, and from where

    @property
    def help_uri(self) -> str:
        return HELP_BASE + self.filename

    def section(self, title: str) -> str:
        """The text under ``## title`` (up to the next ``##``), stripped."""
        return _section(self.body, title)

    @property
    def rationale(self) -> str:
        return self.section("Why is this bad?")


def _section(body: str, title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}\s*\n(.*?)(?=^## |\Z)", body, re.DOTALL | re.MULTILINE)
    return m.group(1).strip() if m else ""


def _fixes(body: str, filename: str) -> tuple[FixText, ...]:
    """The rows of the ``## Fix`` table; ValueError when the section is there but is not that table."""
    text = _section(body, "Fix")
    if not text:
        return ()
    rows = [[c.strip() for c in _CELL.split(line.strip())[1:-1]] for line in text.splitlines() if line.startswith("|")]
    if len(rows) < 3 or tuple(rows[0]) != FIX_HEADER or any(len(r) != 2 or not all(r) for r in rows[2:]):
        raise ValueError(f"{filename}: `## Fix` must be a table `| writes | from |` with a row per fix")
    return tuple(FixText(writes.replace("\\|", "|"), source.replace("\\|", "|")) for writes, source in rows[2:])


def catalogue_dir() -> Path:
    """Where the catalogue is: inside the installed package, or the source tree's ``rules/``."""
    here = Path(__file__).resolve().parent
    shipped = here / "_catalogue"
    if shipped.is_dir():
        return shipped
    return here.parent / "rules"


def _examples(body: str, default_file: str) -> tuple[Example, ...]:
    groups: dict[tuple[str, int], dict[str, str]] = {}
    for m in _FENCE.finditer(body):
        info = m.group(1).split()
        label = next((w for w in info if w in ("bad", "good")), None)
        if label is None:
            continue
        number = next((int(w) for w in info if w.isdigit()), 1)
        fname = next((w.split("=", 1)[1] for w in info if w.startswith("file=")), default_file)
        groups.setdefault((label, number), {})[fname] = m.group(2)
    return tuple(Example(label, num, files) for (label, num), files in sorted(groups.items()))


def parse_doc(text: str, filename: str) -> RuleDoc:
    import tomllib

    m = _FRONT.match(text.replace("\r\n", "\n"))
    if m is None:
        raise ValueError(f"{filename}: missing +++ TOML front matter +++")
    meta: dict[str, Any] = tomllib.loads(m.group(1))
    body = m.group(2)
    equivalents = {k: tuple(v) for k, v in meta.get("equivalents", {}).items()}
    return RuleDoc(
        id=meta["id"],
        name=meta["name"],
        severity=meta["severity"],
        since=meta.get("since", "0.1.0"),
        needs=meta.get("needs", "static"),
        fix=meta.get("fix", "none"),
        equivalents=equivalents,
        body=body.strip() + "\n",
        filename=filename,
        examples=_examples(body, meta.get("example-file", "Dockerfile")),
        example_options=dict(meta.get("example-options", {})),
        example_select=tuple(meta.get("example-select", ())),
        fixes=_fixes(body, filename),
    )


@lru_cache(maxsize=1)
def load_catalogue() -> dict[str, RuleDoc]:
    """All rule documents by id."""
    docs: dict[str, RuleDoc] = {}
    for path in sorted([*catalogue_dir().glob("RC*.md"), *catalogue_dir().glob("ML*.md")]):
        doc = parse_doc(path.read_text(encoding="utf-8"), path.name)
        docs[doc.id] = doc
    return docs
