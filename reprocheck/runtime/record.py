"""``record``: the project loaded as for the other commands, the prediction run on this machine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reprocheck.smoke.record import RecordResult, record_served
from reprocheck.smoke.record import record as record_spec

from .project import smoke_spec


def record(
    project: Path, config: Path | None = None, progress: Callable[[str], None] | None = None
) -> list[RecordResult]:
    """Run the project's prediction here, each case of its spec in turn; write each golden output and the
    record of this environment beside it."""
    spec = smoke_spec(project, config)
    results = []
    for group in spec.starts:
        if group[0].case and progress is not None:
            progress(f"case{'s' if len(group) > 1 else ''} {', '.join(c.case for c in group)}")
        results += record_served(group, progress) if len(group) > 1 else [record_spec(group[0], progress)]
    return results
