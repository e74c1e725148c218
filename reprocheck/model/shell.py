from __future__ import annotations

from dataclasses import field

from reprocheck.model._node import Node, node

# Commands that read a script on standard input or as an argument.
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "busybox"})
INTERPRETERS = frozenset(
    {"python", "python2", "python3", "perl", "ruby", "node", "php", "pwsh", "powershell", "Rscript"}
)


def basename(word: str) -> str:
    """The program name of a command word: ``/usr/bin/python3.11`` -> ``python3.11``."""
    return word.rsplit("/", 1)[-1]


def is_shell_or_interpreter(name: str) -> bool:
    base = basename(name)
    if base in SHELLS or base in INTERPRETERS:
        return True
    # python3.11, pypy3, perl5.36 ...
    return base.startswith(("python", "pypy", "perl", "ruby"))


@node
class Redirect(Node):
    """A redirection such as ``> file`` or a here-document (``op`` is ``<<`` and ``body`` is set)."""

    op: str
    target: str
    body: str | None = None


@node
class ShellCommand(Node):
    """One simple command of a RUN instruction, with variables the Dockerfile defines expanded.

    ``downstream`` names the programs that read this command's standard output (the rest of its
    pipeline, or the command a ``$(...)``/``<(...)`` substitution is an argument of). ``context`` says
    where it was found: ``""`` at top level, or ``"sh -c"``, ``"$()"``, ``"heredoc"``, ``"wrapper"``...
    """

    argv: tuple[str, ...]
    line: int
    instruction: int
    raw: tuple[str, ...] = ()
    assignments: tuple[str, ...] = ()
    redirects: tuple[Redirect, ...] = ()
    downstream: tuple[str, ...] = ()
    context: str = ""
    # the program, ``basename(argv[0])``: asked by most rules of every command, so computed once (a
    # cached_property takes a lock on every read in Python 3.11)
    name: str = field(init=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", basename(self.argv[0]) if self.argv else "")

    @property
    def args(self) -> tuple[str, ...]:
        return self.argv[1:]

    def text(self, limit: int = 80) -> str:
        joined = " ".join(self.raw or self.argv)
        return joined if len(joined) <= limit else joined[: limit - 3] + "..."
