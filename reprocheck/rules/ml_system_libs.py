"""ML10x: ML wheels that load system libraries or run system programs the final image does not have."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reprocheck.model.finding import Finding, Severity
from reprocheck.model.ml import MlPackage, MlProject
from reprocheck.rules._api import RuleContext, rule
from reprocheck.rules._ml import base_facts, image_versions


def _missing(ml: MlProject, kind: str) -> Iterator[tuple[MlPackage, list[dict[str, Any]], str]]:
    """(package, rows of what it needs and the image lacks, base shown) for the final image."""
    final = ml.final
    if final is None:
        return
    pkgs = list(image_versions(ml).values())
    from reprocheck.knowledge import mentions

    if not any(mentions("system_libs", p.name) for p in pkgs):
        return
    facts = base_facts(final.base)
    if facts.family is None:
        return  # an image the tables do not know: it may ship anything
    from reprocheck.knowledge import table

    installed = {p.lower() for p in final.os_packages}
    for p in pkgs:
        lacking = []
        for row in table("system_libs"):
            if row.get("kind") != kind or p.name not in row.get("needed_by", ()):
                continue
            if row["name"] in facts.ships or any(c.startswith(row["name"]) for c in final.copied_from):
                continue  # shipped by the base, or copied in from another stage or image
            providers = {str(row.get(facts.family) or "")}
            if facts.family == "debian":
                providers |= set(row.get("debian_via", ()))
            if installed & {x.lower() for x in providers if x}:
                continue
            lacking.append(row)
        if lacking:
            yield p, lacking, final.base.raw


def _packages(rows: list[dict[str, Any]], family: str) -> str:
    return " ".join(dict.fromkeys(str(r.get(family) or r["name"]) for r in rows))


@rule(
    "ML101",
    "ml-package-needs-system-library",
    Severity.ERROR,
    "An ML wheel loads a system library that the final image's base does not ship and no stage installs",
    on=MlProject,
)
def ml_package_needs_system_library(ml: MlProject, ctx: RuleContext) -> Iterator[Finding]:
    for p, rows, base in _missing(ml, "library"):
        family = (base_facts(ml.final.base).family if ml.final else None) or "debian"
        libs = ", ".join(r["name"] for r in rows)
        hint = f"install {_packages(rows, family)} in the final stage (pinned)"
        if p.name.startswith("opencv-") and "headless" not in p.name:
            hint = f"use {p.name}-headless (no GUI, no libGL needed), or " + hint
        yield ctx.finding(
            p.install_line,
            f"{p.name} ({p.path}:{p.line}) needs {libs}; `{base}` does not ship "
            f"{'it' if len(rows) == 1 else 'them'} and the final stage installs no package that provides "
            f"{'it' if len(rows) == 1 else 'them'}: `import` fails with "
            f'"ImportError: {rows[0]["name"]}: cannot open shared object file"',
            hint=hint,
        )


@rule(
    "ML102",
    "ml-package-needs-executable",
    Severity.WARNING,
    "An ML package runs a system program that the final image does not have",
    on=MlProject,
)
def ml_package_needs_executable(ml: MlProject, ctx: RuleContext) -> Iterator[Finding]:
    for p, rows, base in _missing(ml, "executable"):
        if p.requirer:
            continue  # pulled in by another package, which may never take the path that runs the program
        family = (base_facts(ml.final.base).family if ml.final else None) or "debian"
        exes = ", ".join(f"`{r['name']}`" for r in rows)
        yield ctx.finding(
            p.install_line,
            f"{p.name} ({p.path}:{p.line}) runs {exes}, which `{base}` does not ship and the final stage does not "
            f'install: the first call fails with "FileNotFoundError: [Errno 2] No such file or directory: '
            f"'{rows[0]['name']}'\"",
            hint=f"install {_packages(rows, family)} in the final stage (pinned)",
        )
