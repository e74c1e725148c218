"""``reprocheck verify``: does the image hold exactly what the lock and the Dockerfile say?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._options import ColorMode, Formats, Outputs, ProgressMode
from ._output import debug_enabled, emit, pair_outputs


def verify(
    image: Annotated[str | None, typer.Option(help="Verify this image (built elsewhere) instead of building.")] = None,
    dockerfile: Annotated[
        str | None, typer.Option(help="Dockerfile to build (default: the smoke spec's, else ./Dockerfile).")
    ] = None,
    context: Annotated[str | None, typer.Option(help="Build context (default: found from the COPY lines).")] = None,
    config: Annotated[str | None, typer.Option(help="Config file (default: the nearest one).")] = None,
    online: Annotated[bool, typer.Option(help="Also compare base images with their registries' digests.")] = False,
    no_reuse: Annotated[
        bool, typer.Option("--no-reuse", help="Build even if an image of the same inputs exists.")
    ] = False,
    fmt: Formats = None,
    output: Outputs = None,
    progress: ProgressMode = "auto",
    color: ColorMode = "auto",
) -> int:
    """List the Python and OS packages inside the image (no network) and compare them with the lock and the
    Dockerfile's pins; report the Python version and a root user."""
    from dataclasses import replace

    from reprocheck.backend.docker_sdk import DockerBackend
    from reprocheck.backend.images import build_finding, obtain_image
    from reprocheck.engine.project import display
    from reprocheck.engine.run import LintOptions, judged
    from reprocheck.smoke.spec import load_build
    from reprocheck.verify.runner import VerifyRunner
    from reprocheck.verify.spec import load_verify

    from ._engine import ProgressPrinter, interruptible

    pairs = pair_outputs(fmt or [], output or [])
    target = load_build(Path(config) if config else None, Path.cwd(), dockerfile, context)
    spec = load_verify(target.config)
    if online:
        spec = replace(spec, online=True)
    backend = DockerBackend()
    printer = ProgressPrinter(progress)
    printer(f"Docker engine {backend.ping()} at {backend.host}")
    options = LintOptions(config=str(target.config) if target.config else None, debug=debug_enabled())
    try:
        with interruptible():
            got = obtain_image(backend, target.source, printer, image, rebuild=no_reuse)
            notes = list(got.notes)
            files = [display(target.source.dockerfile)]
            if got.image is None:
                assert got.build is not None
                findings = [build_finding(got.build, target.source.dockerfile)]
            else:
                outcome = VerifyRunner(backend, spec, printer).run(got.image, target.source)
                findings = list(outcome.findings)
                notes += outcome.notes
                files += [p for p in outcome.expectation.locks if p not in files]
    finally:
        printer.done()
    report = judged(findings, files, options, notes)
    emit(report, pairs, color)
    return report.exit_code
