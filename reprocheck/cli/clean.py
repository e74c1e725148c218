"""``reprocheck clean [PROJECT]``: remove what reprocheck made on the engine for one project (its cached
images, and whatever its killed runs left), or with ``--all`` for every project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._options import ProjectArg


def clean(
    project: ProjectArg = Path("."),
    everything: Annotated[
        bool,
        typer.Option("--all", help="Every project's objects on the engine (a shared engine: other CI jobs' too)."),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be removed.")] = False,
) -> int:
    """Remove the containers, images and networks reprocheck made for this project (cached smoke images and
    what interrupted runs left behind). Runs still going are left alone."""
    from reprocheck.backend.base import project_id
    from reprocheck.confine import project_root_for
    from reprocheck.errors import UsageError
    from reprocheck.runtime.engine import connect

    start = Path(project)
    if not start.is_dir():
        raise UsageError(f"`{project}` is not a directory")
    pid = None if everything else project_id(project_root_for(start))
    engine = connect(background_removal=False)
    try:
        report = engine.backend.cleanup(project=pid, everything=everything, dry_run=dry_run)
    finally:
        engine.backend.close()
    verb = "would remove" if dry_run else "removed"
    scope = "on the engine" if everything else f"of project {pid}"
    typer.echo(
        f"{verb} {_count(report.containers, 'container')}, {_count(report.images, 'image')} and "
        f"{_count(report.networks, 'network')} {scope}"
    )
    if report.warnings:
        from reprocheck.model.safe import safe_text

        for warning in report.warnings:
            typer.echo(safe_text(f"warning: {warning}"), err=True)
    if report.live_runs:
        from reprocheck.backend.journal import describe_runs, read_runs

        typer.echo(f"left alone: the objects of {_count(report.live_runs, 'run')} still going:")
        for line in describe_runs(report.live_runs, read_runs()):
            typer.echo(f"  {line}")
    return 0


def _count(items: tuple[str, ...], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"
