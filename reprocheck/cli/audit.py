"""``reprocheck audit``: a table of every project under some folders, for platform teams."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from ._options import (
    ConfigOpt,
    ExtendSelectOpt,
    IgnoreOpt,
    IsolatedOpt,
    ProgressChoice,
    ProgressOpt,
    SelectOpt,
    StatisticsOpt,
    ThresholdOpt,
)


class AuditFormat(enum.StrEnum):
    """``reprocheck.report.audit_table.FORMATS`` (a test keeps the two equal)."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"
    HTML = "html"
    GITHUB_MATRIX = "github-matrix"
    GITLAB_MATRIX = "gitlab-matrix"


def audit(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Folders to search for projects (Dockerfiles).", metavar="[DIR]...")
    ] = None,
    fmt: Annotated[
        AuditFormat,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="table, json, csv, markdown or html; with --list: github-matrix, gitlab-matrix or json.",
        ),
    ] = AuditFormat.TABLE,
    output: Annotated[
        str | None, typer.Option("--output", "-o", metavar="FILE", help="Write the report here ('-': stdout).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", metavar="N", help="Lint processes (default: one per CPU).", min=1)
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Also build, smoke-test and verify each project (needs an engine).")
    ] = False,
    jobs: Annotated[int, typer.Option("--jobs", metavar="N", help="Projects built at a time with --check.", min=1)] = 2,
    no_reuse: Annotated[
        bool, typer.Option("--no-reuse", help="With --check: build even if an image of the same inputs exists.")
    ] = False,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", metavar="GLOB", help="Paths to skip (repeatable).")
    ] = None,
    config: ConfigOpt = None,
    isolated: IsolatedOpt = False,
    select: SelectOpt = None,
    extend_select: ExtendSelectOpt = None,
    ignore: IgnoreOpt = None,
    failure_threshold: ThresholdOpt = None,
    progress: ProgressOpt = ProgressChoice.AUTO,
    list_jobs: Annotated[
        bool, typer.Option("--list", help="Print the projects as a CI job matrix (each job: `reprocheck check`).")
    ] = False,
    merge: Annotated[
        list[Path] | None,
        typer.Option(
            "--merge", metavar="REPORT|DIR", help="JSON reports of `check` jobs, or a folder of them (repeatable)."
        ),
    ] = None,
    history: Annotated[
        str | None,
        typer.Option("--history", metavar="FILE", help="Append this run's summary here; HTML shows the trend."),
    ] = None,
    statistics: StatisticsOpt = False,
) -> int:
    """Lint (and with --check build, smoke and verify) every project under the folders; one row each.

    Exit 0 when every project passes, 1 when some do not, 2 on a usage error or (with --check) no engine."""
    import time

    from reprocheck.audit import check_all, default_workers, find_projects, lint_all
    from reprocheck.audit_fanout import MATRIX_FORMATS, render_matrix
    from reprocheck.audit_fanout import jobs as job_list
    from reprocheck.errors import UsageError
    from reprocheck.lint.run import LintOptions
    from reprocheck.report.audit_table import render, rule_statistics

    from ._engine import ProgressPrinter, interruptible
    from ._pipeline import judging

    roots = paths or ["."]
    started = time.monotonic()
    dockerfiles = find_projects(roots, exclude or ())
    if not dockerfiles:
        raise UsageError(f"no Dockerfile under {', '.join(roots)}")
    matrix = fmt.value in MATRIX_FORMATS and fmt is not AuditFormat.JSON
    if list_jobs or matrix:
        if not list_jobs or fmt.value not in MATRIX_FORMATS:
            raise UsageError("--list prints github-matrix, gitlab-matrix or json; those formats go with --list")
        _write(output, render_matrix(job_list(dockerfiles), fmt.value, roots))
        return 0
    if check and merge:
        raise UsageError("--check builds here, --merge reads the reports of jobs that did: choose one")
    if check:
        from reprocheck.runtime.engine import connect

        connect()  # no engine: one line and exit 2 before any work, not a table of errors
    if config is not None and not config.is_file():
        raise UsageError("config file not found", path=str(config))
    n = workers or default_workers()
    chosen = judging(config, isolated, select, extend_select, ignore, failure_threshold)
    base = LintOptions(
        select=chosen["select"],
        extend_select=chosen["extend_select"],
        ignore=chosen["ignore"],
        failure_threshold=chosen["failure_threshold"],
        config=str(config) if config else None,
        isolated=isolated,
    )
    rows = list(lint_all(dockerfiles, n, base))
    if merge:
        from reprocheck.audit_fanout import merge as merge_reports

        rows = merge_reports(rows, merge)
    elif check:
        printer = ProgressPrinter(progress.value)
        try:
            with interruptible():
                rows = check_all(rows, jobs, printer, no_reuse, base)
        finally:
            printer.done()
    seconds = time.monotonic() - started
    runs: list[object] = []
    if history:
        from reprocheck import audit_history

        audit_history.append(history, rows, roots[0])
        runs = list(audit_history.read(history)[0])
    if fmt is AuditFormat.HTML:
        from reprocheck.report.audit_html import render as render_html

        text = render_html(rows, seconds, n, runs)
    elif statistics and (output is None or output == "-"):
        text = rule_statistics(rows)
    else:
        text = render(rows, fmt.value, seconds, n)
    _write(output, text)
    if statistics and output and output != "-":
        typer.echo(rule_statistics(rows), nl=False)
    return 0 if all(r.verdict == "pass" for r in rows) else 1


def _write(output: str | None, text: str) -> None:
    from reprocheck.files import write_atomic

    if output and output != "-":
        write_atomic(output, text)
    else:
        typer.echo(text, nl=False)
