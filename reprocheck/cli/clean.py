"""``reprocheck clean``: remove the containers and images reprocheck made (what interrupted runs left)."""

from __future__ import annotations

from typing import Annotated

import typer


def clean(
    dry_run: Annotated[bool, typer.Option(help="List what would be removed.")] = False,
) -> int:
    """Remove every container and image labelled by reprocheck (cached smoke images included)."""
    from reprocheck.backend.base import LABEL
    from reprocheck.backend.docker_sdk import DockerBackend

    backend = DockerBackend()
    backend.ping()
    report = backend.cleanup(LABEL, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    typer.echo(
        f"{verb} {len(report.containers)} containers, {len(report.images)} images and {len(report.networks)} "
        f"networks labelled {LABEL}"
    )
    return 0
