"""``record``: the project loaded as for the other commands, the prediction run on this machine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reprocheck.smoke.record import RecordResult
from reprocheck.smoke.record import record as record_spec

from .project import smoke_spec


def record(project: Path, config: Path | None = None, progress: Callable[[str], None] | None = None) -> RecordResult:
    """Run the project's prediction here; write the golden output and the record of this environment."""
    return record_spec(smoke_spec(project, config), progress)
