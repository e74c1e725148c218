"""``reprocheck config --show [PATH]``: the settings that judge a file or project, and where each came from."""

# No `from __future__ import annotations`: Typer reads the annotations.

import enum
from typing import Annotated

import typer

from ._options import ConfigOpt, IsolatedOpt


class ShowFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"


def config(
    path: Annotated[
        str, typer.Argument(help="A file or project directory (default: the working directory).", metavar="[PATH]")
    ] = ".",
    show: Annotated[
        bool,
        typer.Option("--show", help="Print the resolved settings and their sources (the default).", show_default=False),
    ] = True,
    fmt: Annotated[ShowFormat, typer.Option("--format", "-f", help="text or json.")] = ShowFormat.TEXT,
    config_file: ConfigOpt = None,
    isolated: IsolatedOpt = False,
    hadolint_config: Annotated[
        str | None, typer.Option("--hadolint-config", metavar="FILE", help="hadolint config to map.")
    ] = None,
) -> int:
    """Show the resolved settings and where each came from."""
    import json
    from pathlib import Path

    from reprocheck.errors import UsageError
    from reprocheck.lint.settings import as_dict, render_text, resolve

    if not Path(path).exists():
        raise UsageError(f"`{path}` does not exist")
    settings = resolve(path, str(config_file) if config_file else None, isolated, hadolint_config)
    if fmt is ShowFormat.JSON:
        typer.echo(json.dumps(as_dict(settings), indent=2, ensure_ascii=False))
    else:
        typer.echo(render_text(settings), nl=False)
    return 0
