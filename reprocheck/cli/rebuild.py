"""``reprocheck rebuild``: build twice from the same inputs, compare the images, explain every difference."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from reprocheck.errors import UsageError
from reprocheck.files import write_atomic

from ._options import ColorMode, Formats, Outputs, ProgressMode
from ._output import debug_enabled, emit, pair_outputs


def rebuild(
    dockerfile: Annotated[
        str | None, typer.Option(help="Dockerfile to build (default: the smoke spec's, else ./Dockerfile).")
    ] = None,
    context: Annotated[str | None, typer.Option(help="Build context (default: found from the COPY lines).")] = None,
    config: Annotated[str | None, typer.Option(help="Config file (default: the nearest one).")] = None,
    vary: Annotated[
        bool, typer.Option(help="Second build from a renamed copy of the context with group-writable modes.")
    ] = False,
    source_date_epoch: Annotated[
        str | None, typer.Option(help="`git` (the last commit's time) or seconds: passed to both builds.")
    ] = None,
    network: Annotated[str | None, typer.Option(help="`host`: the builds reach servers on this machine.")] = None,
    build_arg: Annotated[list[str] | None, typer.Option(help="KEY=VALUE build argument (repeatable).")] = None,
    allow: Annotated[list[str] | None, typer.Option(help="Image path glob whose differences are accepted.")] = None,
    allow_cause: Annotated[
        list[str] | None, typer.Option(help="Cause accepted: content, pyc, apt, cache, metadata, mtime.")
    ] = None,
    details: Annotated[str | None, typer.Option(help="Write every difference as JSON to this file.")] = None,
    fmt: Formats = None,
    output: Outputs = None,
    progress: ProgressMode = "auto",
    color: ColorMode = "auto",
) -> int:
    """Build the image twice without cache and compare config, layers and files; group what differs by
    cause, with the Dockerfile line that made it. Exit 1 when they differ beyond what is allowed."""
    from reprocheck.backend.docker_sdk import DockerBackend
    from reprocheck.engine.project import display
    from reprocheck.engine.run import LintOptions, judged
    from reprocheck.rebuild.details import render
    from reprocheck.rebuild.explain import CAUSES
    from reprocheck.rebuild.runner import RebuildRunner
    from reprocheck.rebuild.spec import check_source_date_epoch, load_rebuild
    from reprocheck.smoke.spec import load_build

    from ._engine import ProgressPrinter, interruptible

    pairs = pair_outputs(fmt or [], output or [])
    for cause in allow_cause or []:
        if cause not in CAUSES:
            raise UsageError(f"--allow-cause: `{cause}` is not a cause (causes: {', '.join(CAUSES)})")
    if network not in (None, "host"):
        raise UsageError("--network: only `host` is accepted")
    target = load_build(Path(config) if config else None, Path.cwd(), dockerfile, context)
    extra_args: dict[str, str] = {}
    for item in build_arg or []:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise UsageError(f"--build-arg: `{item}` is not KEY=VALUE")
        extra_args[key] = value
    if extra_args:
        source = target.source
        target = replace(target, source=replace(source, build_args={**source.build_args, **extra_args}))
    spec = load_rebuild(target.config)
    spec = replace(
        spec,
        allow_paths=(*spec.allow_paths, *(allow or [])),
        allow_causes=(*spec.allow_causes, *(allow_cause or [])),
        vary=spec.vary or vary,
        network=network or spec.network,
        source_date_epoch=check_source_date_epoch(source_date_epoch, lambda m: UsageError(f"--source-date-epoch: {m}"))
        if source_date_epoch
        else spec.source_date_epoch,
    )
    backend = DockerBackend()
    printer = ProgressPrinter(progress)
    printer(f"Docker engine {backend.ping()} at {backend.host}")
    try:
        with interruptible():
            outcome = RebuildRunner(backend, spec, printer).run(target.source)
    finally:
        printer.done()
    options = LintOptions(config=str(target.config) if target.config else None, debug=debug_enabled())
    report = judged(outcome.findings, [display(target.source.dockerfile)], options, outcome.notes)
    emit(report, pairs, color)
    if details:
        write_atomic(details, render(outcome))
    return report.exit_code
