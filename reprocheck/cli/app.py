"""The Typer application and the one place where errors become a line on stderr and an exit code."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import NoReturn

import typer

from reprocheck import __version__
from reprocheck.errors import ReprocheckError

from ._output import EXIT_FATAL, EXIT_INTERRUPTED, STATE

app = typer.Typer(
    name="reprocheck",
    help="Check that a containerized ML application rebuilds and predicts the same: lint, build, prove.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# typer vendors click from 0.26 on; take the exception classes from typer so either layout works
_CLICK_EXCEPTION: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
_ABORT: type[BaseException] = typer.Abort


def _version(value: bool) -> None:
    if value:
        typer.echo(f"reprocheck {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of internal errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    STATE["debug"] = debug or bool(os.environ.get("REPROCHECK_DEBUG"))


def _register() -> None:
    from . import audit, check, clean, init, lint, rebuild, record, rules, smoke, verify

    app.command("lint")(lint.lint)
    app.command("check")(check.check)
    app.command("audit")(audit.audit)
    app.command("smoke")(smoke.smoke)
    app.command("verify")(verify.verify)
    app.command("rebuild")(rebuild.rebuild)
    app.command("record")(record.record)
    app.command("init")(init.init)
    app.command("clean")(clean.clean)
    app.command("rules")(rules.rules)


_register()


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
        print(f"reprocheck: {exc}" if not exc.path else str(exc), file=sys.stderr)
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
        print(
            f"reprocheck: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_FATAL
    return int(rv or 0)
