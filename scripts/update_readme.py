"""Regenerate the rule table of README.md from the catalogue (tests/test_readme.py fails when it drifts)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from reprocheck.catalogue import load_catalogue
from reprocheck.rules import META

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- rules:start -->", "<!-- rules:end -->"


def rule_table() -> str:
    docs = load_catalogue()
    rows = ["| id | name | severity | what it flags | hadolint |", "| --- | --- | --- | --- | --- |"]
    for rid, meta in META.items():
        doc = docs[rid]
        hadolint = ", ".join(meta.equivalents.get("hadolint", ())) or "-"
        summary = meta.summary.replace("|", "\\|")
        link = f"[{rid}](rules/{doc.filename})"
        rows.append(f"| {link} | `{meta.name}` | {meta.severity.value} | {summary} | {hadolint} |")
    return "\n".join(rows)


def render(readme: str) -> str:
    block = f"{START}\n{rule_table()}\n{END}"
    return re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _m: block, readme, flags=re.DOTALL)


def main() -> int:
    path = ROOT / "README.md"
    old = path.read_text(encoding="utf-8")
    new = render(old)
    if new != old:
        path.write_text(new, encoding="utf-8")
        print("README.md updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
