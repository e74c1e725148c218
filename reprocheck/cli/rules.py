"""``reprocheck rules [ID]``: the catalogue, as a table, JSON, Markdown, or one rule's documentation;
``--fixable``: the rules ``reprocheck fix`` fixes, what it writes and where each pin comes from (their pages'
``## Fix`` tables)."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import typer

from reprocheck.errors import UsageError


class RulesFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"


def rules(
    rule: Annotated[
        str | None, typer.Argument(help="A rule id or name: print its documentation.", metavar="[RULE]")
    ] = None,
    fmt: Annotated[
        RulesFormat, typer.Option("--format", "-f", metavar="FORMAT", help="text, json or markdown.")
    ] = RulesFormat.TEXT,
    fixable: Annotated[
        bool,
        typer.Option("--fixable", help="Only the rules `fix` fixes: its kind, what it writes, where pins come from."),
    ] = False,
) -> int:
    """List the rules, or print one rule's documentation."""
    from reprocheck.catalogue import load_catalogue
    from reprocheck.model.rule import FixKind
    from reprocheck.rules import META

    docs = load_catalogue()
    if rule is not None:
        meta = next((m for m in META.values() if rule.upper() == m.id or rule == m.name), None)
        if meta is None:
            raise UsageError(f"no rule `{rule}` (see `reprocheck rules`)")
        doc = docs.get(meta.id)
        if fmt == "json":
            typer.echo(json.dumps(_entry(meta, doc.body if doc else None, doc.fixes if doc else ()), indent=2))
        else:
            typer.echo(f"# {meta.id} {meta.name} ({meta.severity.value})\n")
            typer.echo(doc.body if doc else meta.summary)
        return 0
    metas = [m for m in META.values() if not fixable or m.fix is not FixKind.NONE]
    if fmt == "json":
        typer.echo(json.dumps([_entry(m, fixes=docs[m.id].fixes if m.id in docs else ()) for m in metas], indent=2))
    elif fmt == "markdown":
        typer.echo(_fix_table(metas, docs) if fixable else _rule_table(metas, docs))
    elif fixable:
        for m in metas:
            typer.echo(f"{m.id}  {m.name}  ({m.fix.value})")
            for fix in docs[m.id].fixes if m.id in docs else ():
                typer.echo(f"    writes: {fix.writes}\n    from:   {fix.source}")
    else:
        width = max(len(m.name) for m in metas)
        for m in metas:
            eq = ", ".join(f"{tool} {' '.join(ids)}" for tool, ids in m.equivalents.items())
            typer.echo(f"{m.id}  {m.name:<{width}}  {m.severity.value:<7}  {m.summary}" + (f"  [{eq}]" if eq else ""))
    return 0


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _rule_table(metas: list[Any], docs: Mapping[str, Any]) -> str:
    rows = ["| id | name | severity | what it flags | hadolint |", "| --- | --- | --- | --- | --- |"]
    for m in metas:
        link = f"[{m.id}](rules/{docs[m.id].filename})" if m.id in docs else m.id
        hadolint = ", ".join(m.equivalents.get("hadolint", ())) or "-"
        rows.append(f"| {link} | `{m.name}` | {m.severity.value} | {_cell(m.summary)} | {hadolint} |")
    return "\n".join(rows)


def _fix_table(metas: list[Any], docs: Mapping[str, Any]) -> str:
    rows = ["| rule | kind | writes | from |", "| --- | --- | --- | --- |"]
    for m in metas:
        link = f"[{m.id}](rules/{docs[m.id].filename})" if m.id in docs else m.id
        fixes = docs[m.id].fixes if m.id in docs else ()
        rows += [f"| {link} | {m.fix.value} | {_cell(f.writes)} | {_cell(f.source)} |" for f in fixes]
    return "\n".join(rows)


def _entry(m: object, body: str | None = None, fixes: Sequence[Any] = ()) -> dict[str, object]:
    from reprocheck.model.rule import RuleMeta

    assert isinstance(m, RuleMeta)
    d: dict[str, object] = {
        "id": m.id,
        "name": m.name,
        "severity": m.severity.value,
        "summary": m.summary,
        "needs": m.needs.value,
        "stage": m.stage.value,
        "fix": m.fix.value,  # declared on the rule: @rule(..., fix=...)
        "fix_text": [{"writes": f.writes, "from": f.source} for f in fixes],  # its page's ## Fix table
        "equivalents": {k: list(v) for k, v in m.equivalents.items()},
    }
    if body is not None:
        d["documentation"] = body
    return d
