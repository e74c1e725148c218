"""Typed errors. Library code raises these; only ``cli/app.py`` turns them into one line and an exit code."""

from __future__ import annotations


class ReprocheckError(Exception):
    """Base error: a message, and where it happened when known."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return f"{where}error: {self.message}"


class UsageError(ReprocheckError):
    """The command line asks for something impossible."""


class ConfigError(ReprocheckError):
    """A configuration file is invalid."""


class ParseError(ReprocheckError):
    """An input file cannot be read at all (findings cover what can be read)."""


class EngineUnavailable(ReprocheckError):
    """No container engine is reachable."""


class LookupFailed(Exception):
    """A look-up (a registry, an index, a git remote, the engine) gave no answer; the message says why, in
    one line, for the user. ``fix`` leaves the line and puts the reason in the remaining finding's hint."""
