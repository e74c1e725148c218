"""Options that the engine commands (smoke, verify, rebuild, check) declare alike."""

from __future__ import annotations

from typing import Annotated

import typer

Formats = Annotated[
    list[str] | None, typer.Option("--format", "-f", help="text, json, sarif, github, junit, markdown.")
]
Outputs = Annotated[
    list[str] | None, typer.Option("--output", "-o", help="File for the --format at the same position.")
]
ProgressMode = Annotated[str, typer.Option(help="auto (live on a terminal), plain or quiet.")]
ColorMode = Annotated[str, typer.Option(help="auto, always or never.")]
