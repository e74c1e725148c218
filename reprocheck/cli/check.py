"""``reprocheck check``: the one CI gate. Lint, build, smoke, verify; one verdict; the reports CI systems read."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._options import (
    BuildArgOpt,
    ColorChoice,
    ColorOpt,
    ConfigOpt,
    ContextOpt,
    DockerfileOpt,
    ExitZeroOpt,
    ExtendSelectOpt,
    Formats,
    GpusOpt,
    IgnoreOpt,
    ImageOpt,
    IsolatedOpt,
    NoCacheOpt,
    NoReuseOpt,
    OnlineOpt,
    Outputs,
    ProgressChoice,
    ProgressOpt,
    ProjectArg,
    SelectOpt,
    StatisticsOpt,
    ThresholdOpt,
    build_args,
)
from ._output import emit, pair_outputs, with_statistics


def check(
    project: ProjectArg = Path("."),
    config: ConfigOpt = None,
    isolated: IsolatedOpt = False,
    static_only: Annotated[
        bool,
        typer.Option("--static-only", help="Lint only; the verdict does not count the stages that need an engine."),
    ] = False,
    no_smoke: Annotated[
        bool, typer.Option("--no-smoke", help="Accept a project without a smoke spec (no prediction is run).")
    ] = False,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Add the rebuild stage: build twice without cache and compare (slow).")
    ] = False,
    image: ImageOpt = None,
    dockerfile: DockerfileOpt = None,
    context: ContextOpt = None,
    build_arg: BuildArgOpt = None,
    no_cache: NoCacheOpt = False,
    no_reuse: NoReuseOpt = False,
    gpus: GpusOpt = None,
    online: OnlineOpt = False,
    select: SelectOpt = None,
    extend_select: ExtendSelectOpt = None,
    ignore: IgnoreOpt = None,
    failure_threshold: ThresholdOpt = None,
    fmt: Formats = None,
    output: Outputs = None,
    junit: Annotated[
        Path | None,
        typer.Option("--junit", metavar="FILE", help="Also write JUnit XML here (a test case per stage, finding)."),
    ] = None,
    sarif: Annotated[
        Path | None,
        typer.Option("--sarif", metavar="FILE", help="Also write SARIF 2.1.0 here (lint, verify, rebuild findings)."),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline", metavar="FILE", help="Report only findings not in this baseline (lint --write-baseline)."
        ),
    ] = None,
    write_baseline: Annotated[
        Path | None,
        typer.Option(
            "--write-baseline",
            metavar="FILE",
            help="Record every active finding (lint's and the stages') in FILE, then judge against it (and pass).",
        ),
    ] = None,
    progress: ProgressOpt = ProgressChoice.AUTO,
    color: ColorOpt = ColorChoice.AUTO,
    statistics: StatisticsOpt = False,
    exit_zero: ExitZeroOpt = False,
) -> int:
    """Lint, build, run the smoke test and verify the image: one verdict for CI.

    Exit 0 passed, 1 failed, 2 usage or fatal error, 3 incomplete (no engine, or no smoke spec; --static-only
    and --no-smoke accept those)."""
    from reprocheck.files import write_atomic
    from reprocheck.model.rule import Stage
    from reprocheck.report import renderer
    from reprocheck.runtime.judge import for_sarif
    from reprocheck.runtime.options import RunOptions

    from ._pipeline import judging, render, run_pipeline

    pairs = pair_outputs(fmt or [], output or [])
    if statistics:
        pairs = with_statistics(pairs)
    stages = {Stage.LINT, Stage.SMOKE, Stage.VERIFY} | ({Stage.REBUILD} if rebuild else set())
    options = RunOptions(
        project=project,
        stages=frozenset(stages),
        gate=True,
        static_only=static_only,
        no_smoke=no_smoke,
        **judging(config, isolated, select, extend_select, ignore, failure_threshold),
        image=image,
        dockerfile=dockerfile,
        context=context,
        build_args=build_args(build_arg),
        no_cache=no_cache,
        no_reuse=no_reuse,
        gpus=gpus,
        online=online,
        baseline=baseline,
    )
    if write_baseline is not None:  # day one: today's findings become known, the gate then fails on new ones
        from dataclasses import replace

        from reprocheck.lint.baseline import write_baseline as write_known

        today = run_pipeline(replace(options, baseline=None), progress)
        write_known(str(write_baseline), [f for f in today.findings if f.suppressed_by is None])
        options = replace(options, baseline=write_baseline)  # judged again, the image reused
    report = run_pipeline(options, progress)
    if exit_zero:
        from dataclasses import replace

        report = replace(report, exit_zero=True)
    # SARIF is for code scanning, whichever option asks for it: `--sarif F` and `--format sarif --output F`
    # write the same file (the findings that point at lines of the project's files)
    scanned = [(fmt, out) for fmt, out in pairs if fmt == "sarif"]
    code = render(report, [(fmt, out) for fmt, out in pairs if fmt != "sarif"], color, step_summary=True)
    if scanned:
        emit(for_sarif(report), scanned, color.value, step_summary=False)
    if junit:
        write_atomic(str(junit), renderer("junit")(report))
    if sarif:
        write_atomic(str(sarif), renderer("sarif")(for_sarif(report)))
    return code
