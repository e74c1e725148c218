"""``reprocheck record``: run the prediction here and keep its output as the golden file."""

from __future__ import annotations

from pathlib import Path

import typer

from ._options import ConfigOpt, ProjectArg


def record(project: ProjectArg = Path("."), config: ConfigOpt = None) -> int:
    """Run the prediction on this machine, write the golden output and a record of this environment."""
    from reprocheck.lint.project import display
    from reprocheck.model.safe import safe_text
    from reprocheck.runtime.record import record as do_record

    result = do_record(project, config)
    known = sum(1 for v in result.packages.values() if v)
    packages = f"{len(result.packages)} locked package{'s' if len(result.packages) != 1 else ''}"
    typer.echo(
        safe_text(
            f"recorded {display(result.golden)} and {display(result.env_record)} in {result.seconds:.1f} s "
            f"({known} of {packages} installed here; {result.runs} run{'s' if result.runs != 1 else ''}; "
            f"Python: {result.interpreter})"
        )
    )
    for f in result.findings:  # RC808: the prediction moved between the runs
        where = f"{f.location.path}:{f.location.line}"
        typer.echo(safe_text(f"{where}: {f.severity.value}: {f.rule} {f.message}"), err=True)
        if f.hint:
            typer.echo(safe_text(f"  hint: {f.hint}"), err=True)
    return 0
