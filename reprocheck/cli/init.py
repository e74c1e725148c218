"""``reprocheck init``: write a commented smoke table into the project's configuration."""

from __future__ import annotations

from pathlib import Path

import typer

from ._options import ProjectArg


def init(project: ProjectArg = Path(".")) -> int:
    """Add a commented [tool.reprocheck.smoke] table to PROJECT's pyproject.toml (or [smoke] to its
    reprocheck.toml), guessing the predict script or server; never overwrites an existing table."""
    from reprocheck.lint.project import display
    from reprocheck.model.safe import safe_text
    from reprocheck.runtime.scaffold import SmokeTableExists
    from reprocheck.runtime.scaffold import init as do_init

    try:
        done = do_init(project)
    except SmokeTableExists as exists:  # a second `init` (or the bundled example): left as it is, not an error
        typer.echo(f"{exists.path}: {exists.message}. Next: `reprocheck record`, then `reprocheck check`.")
        return 0
    found = done.detected
    what = (
        f"serve mode against the image's own server ({found.image.server}, port {found.port} from "
        f"{found.image.port_from})"
        if found.image is not None
        else f"{found.script} (a server on port {found.port})"
        if found.server
        else (found.script or "no predict script found: edit `command`")
    )
    verb = "created" if done.created else "added a smoke table to"
    typer.echo(safe_text(f"{verb} {display(done.path)}: {what}. Next: `reprocheck record`, then `reprocheck check`."))
    return 0
