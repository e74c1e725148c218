"""What the Docker-side commands share after parsing their options: run the pipeline with progress on
stderr (Ctrl-C and SIGTERM clean up), write the reports, return the exit code."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._options import ColorChoice, ProgressChoice, ThresholdChoice, split_rules
from ._output import debug_enabled, emit

if TYPE_CHECKING:
    from reprocheck.model.finding import Severity
    from reprocheck.model.report import Report
    from reprocheck.runtime.options import RunOptions


def severity(choice: ThresholdChoice | None) -> Severity | None:
    from reprocheck.model.finding import Severity

    return None if choice is None else Severity(choice.value)


def judging(
    config: Path | None,
    isolated: bool,
    select: list[str] | None,
    extend_select: list[str] | None,
    ignore: list[str] | None,
    failure_threshold: ThresholdChoice | None,
) -> dict[str, Any]:
    """The ``RunOptions`` fields every project command fills alike (configuration and judging)."""
    return {
        "config": config,
        "isolated": isolated,
        "select": split_rules(select),
        "extend_select": split_rules(extend_select) or (),
        "ignore": split_rules(ignore) or (),
        "failure_threshold": severity(failure_threshold),
        "debug": debug_enabled(),
    }


def run_pipeline(options: RunOptions, progress: ProgressChoice) -> Report:
    from reprocheck.runtime.pipeline import run

    from ._engine import ProgressPrinter, interruptible

    printer = ProgressPrinter(progress.value)
    try:
        with interruptible():
            return run(options, printer)
    finally:
        printer.done()


def render(
    report: Report, pairs: Sequence[tuple[str, str | None]], color: ColorChoice, step_summary: bool | None = None
) -> int:
    emit(report, pairs, color.value, step_summary)
    return report.exit_code
