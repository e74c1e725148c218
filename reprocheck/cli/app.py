"""The Typer application and the one place where errors become a line on stderr and an exit code."""

# No `from __future__ import annotations`, as in lint.py: Typer reads the callback's annotations.

import os
import sys
from collections.abc import Sequence
from typing import NoReturn

import typer

from reprocheck.errors import ReprocheckError

from ._lazy import LazyCommand, LazyGroup
from ._output import EXIT_FATAL, EXIT_INTERRUPTED, STATE

# name -> where the command function lives and its one-line help (the first sentence of its docstring).
# A command's module is imported only when it runs: adding a command is one line here.
COMMANDS: dict[str, LazyCommand] = {
    "lint": LazyCommand(
        "reprocheck.cli.lint",
        "lint",
        "Lint Dockerfiles for everything that makes tomorrow's rebuild differ from today's.",
    ),
    "fix": LazyCommand(
        "reprocheck.cli.fix",
        "fix",
        "Pin what lint finds floating: digests, versions, checksums, commits. Safe fixes only, unless asked.",
    ),
    "check": LazyCommand(
        "reprocheck.cli.check", "check", "Lint, build, run the smoke test and verify the image: one verdict for CI."
    ),
    "audit": LazyCommand(
        "reprocheck.cli.audit",
        "audit",
        "Lint (and with --check build, smoke and verify) every project under the folders; one row each.",
    ),
    "smoke": LazyCommand(
        "reprocheck.cli.smoke",
        "smoke",
        "Build the image and prove the model predicts inside it what it predicted on this machine.",
    ),
    "verify": LazyCommand(
        "reprocheck.cli.verify",
        "verify",
        "List the Python and OS packages inside the image (no network) and compare them with the lock and the"
        " Dockerfile's pins; report the Python version and a root user.",
    ),
    "rebuild": LazyCommand(
        "reprocheck.cli.rebuild",
        "rebuild",
        "Build the image twice without cache and compare config, layers and files; group what differs by cause,"
        " with the Dockerfile line that made it.",
    ),
    "record": LazyCommand(
        "reprocheck.cli.record",
        "record",
        "Run the prediction on this machine, write the golden output and a record of this environment.",
    ),
    "init": LazyCommand(
        "reprocheck.cli.init",
        "init",
        "Add a commented [tool.reprocheck.smoke] table to PROJECT's pyproject.toml (or [smoke] to its"
        " reprocheck.toml), guessing the predict script or server; never overwrites an existing table.",
    ),
    "clean": LazyCommand(
        "reprocheck.cli.clean",
        "clean",
        "Remove the containers, images and networks reprocheck made for this project (cached smoke images and"
        " what interrupted runs left behind).",
    ),
    "rules": LazyCommand("reprocheck.cli.rules", "rules", "List the rules, or print one rule's documentation."),
    "config": LazyCommand("reprocheck.cli.config", "config", "Show the resolved settings and where each came from."),
}


class _Commands(LazyGroup):
    REGISTRY = COMMANDS


app = typer.Typer(
    name="reprocheck",
    help="Check that a containerized ML application rebuilds and predicts the same: lint, build, prove.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=_Commands,
)

# typer vendors click from 0.26 on; take the exception classes from typer so either layout works
_CLICK_EXCEPTION: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
_ABORT: type[BaseException] = typer.Abort


def _version(value: bool) -> None:
    if value:
        from .version import version_line

        typer.echo(version_line())
        raise typer.Exit()


@app.callback()
def _main(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of internal errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    STATE["debug"] = debug or bool(os.environ.get("REPROCHECK_DEBUG"))


def run() -> NoReturn:
    """Console entry point: run, flush, and leave without tearing the interpreter down.

    Finalising the ~300 modules a run imports takes ~13 ms, an eighth of the start-up budget of
    ``reprocheck lint``; nothing of ours needs it (reports are written and closed before this point)."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        code = code or EXIT_FATAL
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 clean, 1 findings, 2 usage or fatal error, 130 interrupted)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        rv = app(args=args, prog_name="reprocheck", standalone_mode=False)
    except ReprocheckError as exc:
        from reprocheck.model.safe import safe_text

        print(safe_text(f"reprocheck: {exc}" if not exc.path else str(exc)), file=sys.stderr)
        return EXIT_FATAL
    except typer.Exit as exc:
        return int(exc.exit_code)
    except _CLICK_EXCEPTION as exc:
        exc.show(file=sys.stderr)  # type: ignore[attr-defined]
        return EXIT_FATAL
    except (KeyboardInterrupt, _ABORT):
        print("reprocheck: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader of our output went away (e.g. `| head`); not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FATAL
    except Exception as exc:
        if STATE["debug"]:
            raise
        from reprocheck.model.safe import safe_text

        print(
            safe_text(f"reprocheck: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)"),
            file=sys.stderr,
        )
        return EXIT_FATAL
    return int(rv or 0)
