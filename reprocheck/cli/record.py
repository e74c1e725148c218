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
        f"({known} of {len(result.packages)} locked packages installed here; {result.runs} run(s); "
        f"Python: {result.interpreter})"
    )
    for f in result.findings:  # RC807: the prediction moved between the runs
        typer.echo(f"{f.location.path}:{f.location.line}: {f.severity.value}: {f.rule} {f.message}", err=True)
        if f.hint:
            typer.echo(f"  hint: {f.hint}", err=True)
    return 0
