"""Writing reports: several ``--format F --output P`` pairs, atomic file writes, colour on terminals only."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from reprocheck.errors import UsageError
from reprocheck.files import write_atomic
from reprocheck.model.report import Report
from reprocheck.report import FORMATS, renderer

EXIT_OK, EXIT_FINDINGS, EXIT_FATAL, EXIT_INTERRUPTED = 0, 1, 2, 130
STATE = {"debug": False}


def debug_enabled() -> bool:
    return STATE["debug"]


def pair_outputs(formats: Sequence[str], outputs: Sequence[str]) -> list[tuple[str, str | None]]:
    """Zip formats with outputs; formats without an output go to stdout (hadolint's zipWithDef)."""
    formats = list(formats) or ["text"]
    for f in formats:
        if f not in FORMATS:
            raise UsageError(f"unknown format `{f}` (choose from {', '.join(FORMATS)})")
    if len(outputs) > len(formats):
        raise UsageError("more --output than --format options: give one --format per --output")
    pairs: list[tuple[str, str | None]] = [
        (f, outputs[k] if k < len(outputs) and outputs[k] != "-" else None) for k, f in enumerate(formats)
    ]
    if sum(1 for _, o in pairs if o is None) > 1:
        raise UsageError("only one format can go to standard output; give the others an --output file")
    return pairs


def with_statistics(pairs: Sequence[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """``--statistics``: the report on standard output becomes the per-rule counts; files stay as asked."""
    kept = [(fmt, out) for fmt, out in pairs if out is not None]
    return [*kept, ("statistics", None)]


def use_color(mode: str) -> bool:
    if mode == "always":
        return True
    if mode == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


def emit(
    report: Report,
    pairs: Sequence[tuple[str, str | None]],
    color_mode: str = "auto",
    step_summary: bool | None = None,
) -> None:
    """Write each format; append the Markdown summary to ``$GITHUB_STEP_SUMMARY`` when it is set and
    ``step_summary`` is True (None: when the github format is among the outputs)."""
    for fmt, out in pairs:
        text = renderer(fmt)(report, color=use_color(color_mode) if out is None else False)
        if out is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            write_atomic(out, text)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    wanted = step_summary if step_summary is not None else any(fmt == "github" for fmt, _ in pairs)
    if summary and wanted:
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(renderer("markdown")(report))
