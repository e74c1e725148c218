"""``reprocheck check``: the one CI gate. Lint, build, smoke, verify; one verdict; the reports CI systems read."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from reprocheck.errors import UsageError
from reprocheck.files import write_atomic
from reprocheck.model.finding import Severity

from ._options import ColorMode, Formats, Outputs, ProgressMode
from ._output import debug_enabled, emit, pair_outputs


def check(
    project: Annotated[str, typer.Argument(help="The project directory (default: the current one).")] = ".",
    static_only: Annotated[
        bool, typer.Option(help="Lint only; the verdict does not count the stages that need an engine.")
    ] = False,
    dockerfile: Annotated[str | None, typer.Option(help="Dockerfile to build (default: the smoke spec's).")] = None,
    image: Annotated[str | None, typer.Option(help="Check this image instead of building one.")] = None,
    no_reuse: Annotated[
        bool, typer.Option("--no-reuse", help="Build even if an image of the same inputs exists.")
    ] = False,
    rebuild: Annotated[
        bool, typer.Option(help="Add the rebuild stage: build twice without cache and compare (slow).")
    ] = False,
    no_cache: Annotated[bool, typer.Option(help="Build from scratch (no layer cache, no reuse).")] = False,
    online: Annotated[bool, typer.Option(help="Compare base images with their registries' digests.")] = False,
    fmt: Formats = None,
    output: Outputs = None,
    junit: Annotated[
        str | None, typer.Option(help="Also write JUnit XML here (a test case per stage, finding).")
    ] = None,
    sarif: Annotated[
        str | None, typer.Option(help="Also write SARIF 2.1.0 here (lint, verify and rebuild findings).")
    ] = None,
    select: Annotated[list[str] | None, typer.Option(help="Rules to run (id, name or prefix).")] = None,
    ignore: Annotated[list[str] | None, typer.Option(help="Rules to skip.")] = None,
    failure_threshold: Annotated[
        str | None, typer.Option(help="Lowest severity that fails the run: error, warning, info.")
    ] = None,
    config: Annotated[str | None, typer.Option(help="Config file (default: the nearest one).")] = None,
    baseline: Annotated[
        str | None, typer.Option(help="Report only findings not in this baseline (from lint --write-baseline).")
    ] = None,
    progress: ProgressMode = "auto",
    color: ColorMode = "auto",
) -> int:
    """Lint, build, run the smoke test and verify the image: one verdict for CI.

    Exit 0 passed, 1 failed, 2 usage or fatal error, 3 incomplete (no engine; use --static-only to accept)."""
    from reprocheck.check import BUILD_RULES, SMOKE_RULES, CheckOptions, check_project
    from reprocheck.engine.run import LintOptions
    from reprocheck.report import renderer

    from ._engine import ProgressPrinter, interruptible
    from .lint import _split

    pairs = pair_outputs(fmt or [], output or [])
    root = Path(project)
    if not root.is_dir():
        raise UsageError(f"`{project}` is not a directory")
    threshold = None
    if failure_threshold is not None:
        try:
            threshold = Severity.parse(failure_threshold)
        except ValueError as exc:
            raise UsageError(f"--failure-threshold: {exc}") from None
    lint_options = LintOptions(
        select=_split(select),
        ignore=_split(ignore) or (),
        failure_threshold=threshold,
        config=config,
        debug=debug_enabled(),
        baseline=baseline,
    )
    options = CheckOptions(
        project=root,
        dockerfile=dockerfile,
        static_only=static_only,
        image=image,
        no_reuse=no_reuse,
        rebuild=rebuild,
        no_cache=no_cache,
        online=online,
        lint=lint_options,
    )
    printer = ProgressPrinter(progress)
    try:
        with interruptible():
            report = check_project(options, printer)
    finally:
        printer.done()
    emit(report, pairs, color, step_summary=True)
    if junit:
        write_atomic(junit, renderer("junit")(report))
    if sarif:
        static = tuple(f for f in report.findings if f.rule not in SMOKE_RULES + BUILD_RULES)
        rules = {f.rule: report.rules[f.rule] for f in static}
        write_atomic(sarif, renderer("sarif")(replace(report, findings=static, rules=rules)))
    return report.exit_code
