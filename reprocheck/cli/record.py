"""``reprocheck record``: run the prediction here and keep its output as the golden file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from ._options import ConfigOpt, ProjectArg


def record(project: ProjectArg = Path("."), config: ConfigOpt = None) -> int:
    """Run the prediction on this machine, write the golden output and a record of this environment."""
    from reprocheck.lint.project import display
    from reprocheck.runtime.record import record as do_record

    results = do_record(project, config, lambda message: typer.echo(f"reprocheck: {message}", err=True))
    for result in results:
        _say(result, display)
    if len(results) > 1:
        typer.echo(f"recorded {len(results)} cases")
    return 0


def _say(result: Any, display: Callable[[Path], str]) -> None:
    """One line per case (a smoke.record.RecordResult: the CLI imports the Docker side only in command bodies)."""
    from reprocheck.model.safe import safe_text

    at, other, missing = result.counts()
    total = len(result.packages)
    packages = f"{len(at)} of {total} locked package{'s' if total != 1 else ''} at the locked version"
    if other:
        shown = ", ".join(f"{n} {here} (lock: {want})" for n, here, want in other[:6])
        packages += f", {len(other)} at another version: {shown}" + (" ..." if len(other) > 6 else "")
    if missing:
        packages += f", {len(missing)} missing here: {', '.join(missing[:6])}" + (" ..." if len(missing) > 6 else "")
    case = f"case `{result.case}`: " if result.case else ""
    typer.echo(
        safe_text(
            f"{case}recorded {display(result.golden)} and {display(result.env_record)} in {result.seconds:.1f} s "
            f"({packages}; {result.runs} run{'s' if result.runs != 1 else ''}; "
            f"Python: {result.interpreter})"
        )
    )
    if other or missing:
        typer.echo(
            "note: the golden output comes from other package versions than the lock's: smoke will compare the "
            "image (which installs the lock) with it; install the lock here and record again to compare like "
            "with like",
            err=True,
        )
    for f in result.findings:  # RC808: the prediction moved between the runs
        where = f"{f.location.path}:{f.location.line}"
        typer.echo(safe_text(f"{where}: {f.severity.value}: {f.rule} {f.message}"), err=True)
        if f.hint:
            typer.echo(safe_text(f"  hint: {f.hint}"), err=True)
