"""``reprocheck smoke``: build the image, run the prediction in a sandbox, compare with the golden output."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._options import ColorMode, Formats, Outputs, ProgressMode
from ._output import emit, pair_outputs


def smoke(
    config: Annotated[str | None, typer.Option(help="Config file with the smoke spec (default: nearest one).")] = None,
    image: Annotated[str | None, typer.Option(help="Check this image (built elsewhere) instead of building.")] = None,
    no_reuse: Annotated[
        bool,
        typer.Option(
            "--no-reuse", help="Build even if an image of the same inputs exists (the engine's layer cache is used)."
        ),
    ] = False,
    no_cache: Annotated[
        bool, typer.Option(help="Build from scratch, and do not reuse an image of the same inputs.")
    ] = False,
    fmt: Formats = None,
    output: Outputs = None,
    progress: ProgressMode = "auto",
    color: ColorMode = "auto",
) -> int:
    """Build the image and prove the model predicts inside it what it predicted on this machine."""
    from reprocheck import __version__
    from reprocheck.backend.docker_sdk import DockerBackend
    from reprocheck.model.report import Report
    from reprocheck.rules import META
    from reprocheck.smoke.runner import SmokeRunner
    from reprocheck.smoke.spec import load_spec

    from ._engine import ProgressPrinter, interruptible

    pairs = pair_outputs(fmt or [], output or [])
    spec = load_spec(Path(config) if config else None, Path.cwd())
    backend = DockerBackend()
    printer = ProgressPrinter(progress)
    printer(f"Docker engine {backend.ping()} at {backend.host}")
    try:
        with interruptible():
            outcome = SmokeRunner(backend, spec, printer).run(image, no_cache=no_cache, rebuild=no_reuse)
    finally:
        printer.done()
    notes = list(outcome.notes)
    if not outcome.findings:
        notes.append(f"smoke passed: the container's prediction matches {spec.golden.name} (compare = {spec.compare})")
    report = Report(
        findings=outcome.findings,
        rules={f.rule: META[f.rule] for f in outcome.findings},
        files=(spec.config_path,),
        tool_version=__version__,
        notes=tuple(notes),
    )
    emit(report, pairs, color)
    return report.exit_code
