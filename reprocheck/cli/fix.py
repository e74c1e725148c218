"""``reprocheck fix``: write the pins lint asks for (image digests, versions, checksums, commits)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from ._options import (
    ColorChoice,
    ColorOpt,
    ConfigOpt,
    ExtendSelectOpt,
    Formats,
    IgnoreOpt,
    IsolatedOpt,
    Outputs,
    SelectOpt,
)
from ._output import EXIT_FATAL, debug_enabled, emit, pair_outputs

if TYPE_CHECKING:
    from reprocheck.lint.run import LintOptions


def _split(values: list[str] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    return tuple(v.strip() for item in values for v in item.split(",") if v.strip())


def run_fix(
    targets: Sequence[str],
    lint_options: LintOptions,
    pairs: Sequence[tuple[str, str | None]],
    color: str,
    *,
    unsafe: bool = False,
    diff: bool = False,
    offline: bool = False,
    from_image: str | None = None,
    platform: str | None = None,
    index_url: str | None = None,
) -> int:
    """Shared by ``fix`` and ``lint --fix``: fix, print the diff or what remains, return the exit code."""
    from reprocheck.fix import FixOptions, fix_paths
    from reprocheck.model.safe import safe_text

    options = FixOptions(
        unsafe=unsafe,
        offline=offline,
        from_image=from_image,
        platform=platform,
        index_url=index_url,
        config=lint_options.config,
        isolated=lint_options.isolated,
    )
    result = fix_paths(targets, lint_options, options, diff=diff)
    if diff:
        sys.stdout.flush()  # a patch names files by their bytes, whatever the terminal's encoding
        sys.stdout.buffer.write(result.diff.encode("utf-8", "surrogateescape"))
        sys.stdout.buffer.flush()
    else:
        emit(result.report, pairs, color)
    for edit in result.applied:
        print(safe_text(f"{edit.path}:{edit.line}: {edit.rule} {edit.note}"), file=sys.stderr)
    for new in result.created:
        print(safe_text(f"{new.path}: {new.rule} {new.note}"), file=sys.stderr)
    for failure in result.failures:
        loc = failure.finding.location
        print(safe_text(f"{loc.path}:{loc.line}: {failure.finding.rule} not fixed: {failure.reason}"), file=sys.stderr)
    for note in result.notes:
        print(safe_text(f"note: {note}"), file=sys.stderr)
    for refused in result.refused:
        print(safe_text(f"reprocheck: {refused}"), file=sys.stderr)
    summary = f"reprocheck fix: {fix_summary(result.before, result.fixed, result.after, diff)}"
    if result.unsafe_hidden:
        summary += f" ({result.unsafe_hidden} more fixable with --unsafe-fixes)"
    print(summary, file=sys.stderr)
    if result.refused:
        return EXIT_FATAL
    if diff and result.diff:
        return 1
    return result.report.exit_code


def fix_summary(before: int, edits: int, after: int | None, diff: bool) -> str:
    """Counts that add up: the findings found, the edits made (one edit may fix several findings, one finding
    need several edits), the findings fixed and the ones that remain, the same with and without --diff (which
    lints the texts it would write); ``after`` None: not known without writing (a lock --diff would create)."""
    found = f"{before} finding{'s' if before != 1 else ''}"
    made = f"{edits} edit{'s' if edits != 1 else ''}"
    if after is None:
        return f"{found}; would make {made} (run without --diff to apply them and see what remains)"
    if diff:
        return f"{found}; would make {made}, would fix {max(0, before - after)}, {after} would remain"
    return f"{found}; made {made}, fixed {max(0, before - after)}, {after} remain"


def fix(
    paths: Annotated[list[str] | None, typer.Argument(help="Files or directories to fix.", metavar="[PATH]...")] = None,
    diff: Annotated[bool, typer.Option("--diff", help="Print a unified diff and change nothing.")] = False,
    unsafe_fixes: Annotated[
        bool, typer.Option("--unsafe-fixes", help="Also apply fixes that may change what the build installs.")
    ] = False,
    select: SelectOpt = None,
    extend_select: ExtendSelectOpt = None,
    ignore: IgnoreOpt = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Image digests from the local engine's RepoDigests, never the network.")
    ] = False,
    from_image: Annotated[
        str | None,
        typer.Option(
            "--from-image",
            metavar="IMAGE",
            help="An image built from the project: pin to the versions it holds (`cached`: the image smoke/check "
            "built last from the same inputs).",
        ),
    ] = None,
    platform: Annotated[
        str | None,
        typer.Option(
            "--platform", metavar="OS/ARCH", help="Pin this platform's manifest instead of the multi-platform index."
        ),
    ] = None,
    index_url: Annotated[
        str | None,
        typer.Option(
            "--index-url",
            metavar="URL",
            help="Package index for locks: pip-compile's, uv's default, pipenv's mirror (default: their config).",
        ),
    ] = None,
    fmt: Formats = None,
    output: Outputs = None,
    config: ConfigOpt = None,
    isolated: IsolatedOpt = False,
    color: ColorOpt = ColorChoice.AUTO,
) -> int:
    """Pin what lint finds floating: digests, versions, checksums, commits. Safe fixes only, unless asked."""
    from reprocheck.lint.run import LintOptions

    pairs = pair_outputs(fmt or [], output or [])
    options = LintOptions(
        select=_split(select),
        extend_select=_split(extend_select) or (),
        ignore=_split(ignore) or (),
        config=str(config) if config else None,
        isolated=isolated,
        debug=debug_enabled(),
    )
    return run_fix(
        paths or ["."],
        options,
        pairs,
        color.value,
        unsafe=unsafe_fixes,
        diff=diff,
        offline=offline,
        from_image=from_image,
        platform=platform,
        index_url=index_url,
    )
