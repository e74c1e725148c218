"""``reprocheck lint``: the static check, for pre-commit hooks and CI gates. Never needs a Docker engine."""

# No `from __future__ import annotations`: Typer would compile and evaluate each option's annotation
# string at start-up (~6% of a one-file lint); evaluated at definition they cost nothing extra.

import sys
from typing import Annotated

import typer

from reprocheck.model.finding import Severity

from ._options import (
    ColorChoice,
    ColorOpt,
    ConfigOpt,
    ExitZeroOpt,
    ExtendSelectOpt,
    Formats,
    IgnoreOpt,
    IsolatedOpt,
    Outputs,
    SelectOpt,
    StatisticsOpt,
    ThresholdOpt,
)
from ._output import debug_enabled, emit, pair_outputs, with_statistics


def _split(values: list[str] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    return tuple(v.strip() for item in values for v in item.split(",") if v.strip())


def lint(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Files or directories; `-` reads standard input.", metavar="[PATH]..."),
    ] = None,
    fmt: Formats = None,
    output: Outputs = None,
    select: SelectOpt = None,
    extend_select: ExtendSelectOpt = None,
    ignore: IgnoreOpt = None,
    failure_threshold: ThresholdOpt = None,
    config: ConfigOpt = None,
    isolated: IsolatedOpt = False,
    stdin_filename: Annotated[
        str | None, typer.Option("--stdin-filename", metavar="NAME", help="Name to show for `-` (standard input).")
    ] = None,
    color: ColorOpt = ColorChoice.AUTO,
    baseline: Annotated[
        str | None,
        typer.Option("--baseline", metavar="FILE", help="Report only findings not recorded in this baseline file."),
    ] = None,
    write_baseline: Annotated[
        str | None,
        typer.Option("--write-baseline", metavar="FILE", help="Record the current findings in FILE, then pass."),
    ] = None,
    hadolint_config: Annotated[
        str | None,
        typer.Option(
            "--hadolint-config", metavar="FILE", help="hadolint config to map (default: nearest .hadolint.yaml)."
        ),
    ] = None,
    fix: Annotated[bool, typer.Option("--fix", help="Apply the safe fixes (see `reprocheck fix`).")] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="With --fix: print the fixes as a diff, change nothing.")
    ] = False,
    unsafe_fixes: Annotated[bool, typer.Option("--unsafe-fixes", help="With --fix: apply unsafe fixes too.")] = False,
    statistics: StatisticsOpt = False,
    exit_zero: ExitZeroOpt = False,
) -> int:
    """Lint Dockerfiles for everything that makes tomorrow's rebuild differ from today's."""
    from reprocheck.lint.run import LintOptions, lint_paths

    pairs = pair_outputs(fmt or [], output or [])
    if statistics:
        pairs = with_statistics(pairs)
    threshold = None if failure_threshold is None else Severity(failure_threshold.value)
    targets = paths or ["."]
    stdin = sys.stdin.buffer.read() if "-" in targets else None
    options = LintOptions(
        select=_split(select),
        extend_select=_split(extend_select) or (),
        ignore=_split(ignore) or (),
        failure_threshold=threshold,
        config=str(config) if config else None,
        isolated=isolated,
        stdin=stdin,
        stdin_filename=stdin_filename,
        debug=debug_enabled(),
        hadolint_config=hadolint_config,
        baseline=baseline,
        write_baseline=write_baseline,
        exit_zero=exit_zero,
    )
    if fix or diff:
        from .fix import run_fix

        return run_fix(targets, options, pairs, color.value, unsafe=unsafe_fixes, diff=diff)
    report = lint_paths(targets, options)
    emit(report, pairs, color.value)
    return report.exit_code
