"""``reprocheck rules [ID]``: the catalogue, as a table, JSON, or one rule's documentation."""

from __future__ import annotations

import enum
import json
from typing import Annotated

import typer

from reprocheck.errors import UsageError


class RulesFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"


def rules(
    rule: Annotated[
        str | None, typer.Argument(help="A rule id or name: print its documentation.", metavar="[RULE]")
    ] = None,
    fmt: Annotated[
        RulesFormat, typer.Option("--format", "-f", metavar="FORMAT", help="text or json.")
    ] = RulesFormat.TEXT,
) -> int:
    """List the rules, or print one rule's documentation."""
    from reprocheck.catalogue import load_catalogue
    from reprocheck.rules import META

    docs = load_catalogue()
    if rule is not None:
        meta = next((m for m in META.values() if rule.upper() == m.id or rule == m.name), None)
        if meta is None:
            raise UsageError(f"no rule `{rule}` (see `reprocheck rules`)")
        doc = docs.get(meta.id)
        if fmt == "json":
            typer.echo(json.dumps(_entry(meta, doc.body if doc else None), indent=2))
        else:
            typer.echo(f"# {meta.id} {meta.name} ({meta.severity.value})\n")
            typer.echo(doc.body if doc else meta.summary)
        return 0
    if fmt == "json":
        typer.echo(json.dumps([_entry(m) for m in META.values()], indent=2))
        return 0
    width = max(len(m.name) for m in META.values())
    for m in META.values():
        eq = ", ".join(f"{tool} {' '.join(ids)}" for tool, ids in m.equivalents.items())
        typer.echo(f"{m.id}  {m.name:<{width}}  {m.severity.value:<7}  {m.summary}" + (f"  [{eq}]" if eq else ""))
    return 0


def _entry(m: object, body: str | None = None) -> dict[str, object]:
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
        "equivalents": {k: list(v) for k, v in m.equivalents.items()},
    }
    if body is not None:
        d["documentation"] = body
    return d
