"""``reprocheck lint``: the static check, for pre-commit hooks and CI gates. Never needs a Docker engine."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from reprocheck.errors import UsageError
from reprocheck.model.finding import Severity

from ._output import debug_enabled, emit, pair_outputs


def _split(values: list[str] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    return tuple(v.strip() for item in values for v in item.split(",") if v.strip())


def lint(
    paths: Annotated[list[str] | None, typer.Argument(help="Files or directories; `-` reads standard input.")] = None,
    fmt: Annotated[
        list[str] | None,
        typer.Option("--format", "-f", help="text, json, sarif, github, junit, markdown (repeatable)."),
    ] = None,
    output: Annotated[
        list[str] | None,
        typer.Option("--output", "-o", help="File for the --format at the same position (repeatable)."),
    ] = None,
    select: Annotated[
        list[str] | None,
        typer.Option(help="Rules to run (id, name, or prefix such as RC3); replaces the config's select."),
    ] = None,
    extend_select: Annotated[list[str] | None, typer.Option(help="Rules to add to the selection.")] = None,
    ignore: Annotated[list[str] | None, typer.Option(help="Rules to skip, added to the config's ignore.")] = None,
    failure_threshold: Annotated[
        str | None, typer.Option(help="Lowest severity that fails the run: error, warning, info.")
    ] = None,
    config: Annotated[
        str | None, typer.Option(help="Config file (default: nearest .reprocheck.toml or pyproject.toml).")
    ] = None,
    isolated: Annotated[bool, typer.Option(help="Ignore all configuration files.")] = False,
    stdin_filename: Annotated[str | None, typer.Option(help="Name to show for `-` (standard input).")] = None,
    color: Annotated[str, typer.Option(help="auto, always or never.")] = "auto",
    fix: Annotated[bool, typer.Option("--fix", help="Apply the safe fixes (see `reprocheck fix`).")] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="With --fix: print the fixes as a diff, change nothing.")
    ] = False,
    unsafe_fixes: Annotated[bool, typer.Option("--unsafe-fixes", help="With --fix: apply unsafe fixes too.")] = False,
) -> int:
    """Lint Dockerfiles for everything that makes tomorrow's rebuild differ from today's."""
    from reprocheck.engine.run import LintOptions, lint_paths

    pairs = pair_outputs(fmt or [], output or [])
    threshold = None
    if failure_threshold is not None:
        try:
            threshold = Severity.parse(failure_threshold)
        except ValueError as exc:
            raise UsageError(f"--failure-threshold: {exc}") from None
    targets = paths or ["."]
    stdin = sys.stdin.buffer.read() if "-" in targets else None
    options = LintOptions(
        select=_split(select),
        extend_select=_split(extend_select) or (),
        ignore=_split(ignore) or (),
        failure_threshold=threshold,
        config=config,
        isolated=isolated,
        stdin=stdin,
        stdin_filename=stdin_filename,
        debug=debug_enabled(),
    )
    if fix or diff:
        from .fix import run_fix

        return run_fix(targets, options, pairs, color, unsafe=unsafe_fixes, diff=diff)
    report = lint_paths(targets, options)
    emit(report, pairs, color)
    return report.exit_code
