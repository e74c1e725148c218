"""``reprocheck record``: run the prediction here and keep its output as the golden file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def record(
    config: Annotated[str | None, typer.Option(help="Config file with the smoke spec (default: nearest one).")] = None,
) -> int:
    """Run the prediction on this machine, write the golden output and a record of this environment."""
    from reprocheck.engine.project import display
    from reprocheck.smoke.record import record as do_record
    from reprocheck.smoke.spec import load_spec

    spec = load_spec(Path(config) if config else None, Path.cwd())
    result = do_record(spec)
    known = sum(1 for v in result.packages.values() if v)
    typer.echo(
        f"recorded {display(result.golden)} and {display(result.env_record)} in {result.seconds:.1f} s "
        f"({known} of {len(result.packages)} locked packages installed here)"
    )
    return 0
