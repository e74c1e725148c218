"""``reprocheck rebuild``: build twice from the same inputs, compare the images, explain every difference."""

from __future__ import annotations

import enum
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
    ExtendSelectOpt,
    Formats,
    IgnoreOpt,
    IsolatedOpt,
    Outputs,
    ProgressChoice,
    ProgressOpt,
    ProjectArg,
    SelectOpt,
    ThresholdOpt,
    build_args,
)
from ._output import pair_outputs

CAUSES = ("content", "pyc", "apt", "cache", "metadata", "mtime")  # rebuild.explain.CAUSES (a test keeps them equal)


class NetworkChoice(enum.StrEnum):
    HOST = "host"


def _epoch(value: str | None) -> str | None:
    if value is not None and value != "git" and not value.isdigit():
        raise typer.BadParameter("must be `git` (the last commit's time) or a number of seconds")
    return value


def _cause(value: str) -> str:
    if value not in CAUSES:
        raise typer.BadParameter(f"`{value}` is not a cause (choose from {', '.join(CAUSES)})")
    return value


def rebuild(
    project: ProjectArg = Path("."),
    config: ConfigOpt = None,
    isolated: IsolatedOpt = False,
    dockerfile: DockerfileOpt = None,
    context: ContextOpt = None,
    build_arg: BuildArgOpt = None,
    vary: Annotated[
        bool, typer.Option("--vary", help="Second build from a renamed copy of the context with group-writable modes.")
    ] = False,
    source_date_epoch: Annotated[
        str | None,
        typer.Option(
            "--source-date-epoch",
            metavar="SECONDS|git",
            callback=_epoch,
            help="SOURCE_DATE_EPOCH for both builds: seconds, or `git` (the last commit's time).",
        ),
    ] = None,
    network: Annotated[
        NetworkChoice | None,
        typer.Option("--network", help="`host`: the builds reach servers on this machine.", show_default=False),
    ] = None,
    allow: Annotated[
        list[str] | None, typer.Option("--allow", metavar="GLOB", help="Image path whose differences are accepted.")
    ] = None,
    allow_cause: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-cause",
            metavar="CAUSE",
            callback=lambda v: [_cause(c) for c in v or []] or None,
            help=f"Cause accepted, repeatable: {', '.join(CAUSES)}.",
        ),
    ] = None,
    details: Annotated[
        Path | None, typer.Option("--details", metavar="FILE", help="Write every difference as JSON to this file.")
    ] = None,
    select: SelectOpt = None,
    extend_select: ExtendSelectOpt = None,
    ignore: IgnoreOpt = None,
    failure_threshold: ThresholdOpt = None,
    fmt: Formats = None,
    output: Outputs = None,
    progress: ProgressOpt = ProgressChoice.AUTO,
    color: ColorOpt = ColorChoice.AUTO,
) -> int:
    """Build the image twice without cache and compare config, layers and files; group what differs by
    cause, with the Dockerfile line that made it. Exit 1 when they differ beyond what is allowed."""
    from reprocheck.model.rule import Stage
    from reprocheck.runtime.options import RebuildOptions, RunOptions

    from ._pipeline import judging, render, run_pipeline

    pairs = pair_outputs(fmt or [], output or [])
    options = RunOptions(
        project=project,
        stages=frozenset({Stage.REBUILD}),
        **judging(config, isolated, select, extend_select, ignore, failure_threshold),
        dockerfile=dockerfile,
        context=context,
        build_args=build_args(build_arg),
        rebuild=RebuildOptions(
            vary=vary,
            allow_paths=tuple(allow or ()),
            allow_causes=tuple(allow_cause or ()),
            network=network.value if network else None,
            source_date_epoch=source_date_epoch,
            details=details,
        ),
    )
    return render(run_pipeline(options, progress), pairs, color)
