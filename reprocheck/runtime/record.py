"""``record``: the project loaded as for the other commands, the prediction run on this machine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reprocheck.smoke.record import RecordResult
from reprocheck.smoke.record import record as record_spec

from .project import smoke_spec


def record(
    project: Path, config: Path | None = None, progress: Callable[[str], None] | None = None
) -> list[RecordResult]:
    """Run the project's prediction here, each case of its spec in turn; write each golden output and the
    record of this environment beside it."""
    spec = smoke_spec(project, config)
    results = []
    for case in spec.each_case:
        if case.case and progress is not None:
            progress(f"case {case.case}")
        results.append(record_spec(case, progress))
    return results
