"""``reprocheck audit``: a table of every project under some folders, for platform teams."""

from __future__ import annotations

from typing import Annotated

import typer

from reprocheck.errors import UsageError
from reprocheck.files import write_atomic
from reprocheck.model.finding import Severity


def audit(
    paths: Annotated[list[str] | None, typer.Argument(help="Folders to search for projects (Dockerfiles).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json, csv or markdown.")] = "table",
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the report here.")] = None,
    workers: Annotated[int | None, typer.Option(help="Lint processes (default: one per CPU).", min=1)] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Also build, smoke-test and verify each project (needs an engine).")
    ] = False,
    jobs: Annotated[int, typer.Option(help="Projects built at a time with --check.", min=1)] = 2,
    no_reuse: Annotated[
        bool, typer.Option("--no-reuse", help="With --check: build even if an image of the same inputs exists.")
    ] = False,
    exclude: Annotated[list[str] | None, typer.Option(help="Glob of paths to skip (repeatable).")] = None,
    failure_threshold: Annotated[
        str | None, typer.Option(help="Lowest severity that fails a project: error, warning, info.")
    ] = None,
    progress: Annotated[str, typer.Option(help="auto, plain or quiet (for --check).")] = "auto",
) -> int:
    """Lint (and with --check build, smoke and verify) every project under the folders; one row each.

    Exit 0 when every project passes, 1 when some do not, 2 on a usage error."""
    import time

    from reprocheck.audit import check_all, default_workers, find_projects, lint_all
    from reprocheck.report.audit_table import FORMATS, render

    from ._engine import ProgressPrinter, interruptible

    if fmt not in FORMATS:
        raise UsageError(f"unknown format `{fmt}` (choose from {', '.join(FORMATS)})")
    threshold = None
    if failure_threshold is not None:
        try:
            threshold = Severity.parse(failure_threshold)
        except ValueError as exc:
            raise UsageError(f"--failure-threshold: {exc}") from None
    roots = paths or ["."]
    started = time.monotonic()
    dockerfiles = find_projects(roots, exclude or ())
    if not dockerfiles:
        raise UsageError(f"no Dockerfile under {', '.join(roots)}")
    n = workers or default_workers()
    rows = list(lint_all(dockerfiles, n, threshold))
    if check:
        printer = ProgressPrinter(progress)
        try:
            with interruptible():
                rows = check_all(rows, jobs, printer, no_reuse)
        finally:
            printer.done()
    text = render(rows, fmt, time.monotonic() - started, n)
    if output and output != "-":
        write_atomic(output, text)
    else:
        typer.echo(text, nl=False)
    return 0 if all(r.verdict == "pass" for r in rows) else 1
