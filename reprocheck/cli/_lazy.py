"""Commands registered by name: a command's module is imported only when that command runs.

``reprocheck lint`` runs in a pre-commit hook on every commit, where start-up is the whole cost. Turning
a Typer function into a click command evaluates its annotations (~2 ms each) and importing the Docker-side
command modules pulls in their helpers; neither is needed to lint. The group therefore holds a mapping
whose entries are built on first lookup, and lists the commands in ``--help`` from the short help strings
kept in the registry, so listing them imports nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, NamedTuple

from typer._click.utils import make_default_short_help
from typer.core import TyperGroup
from typer.main import get_command_from_info
from typer.models import CommandInfo


class LazyCommand(NamedTuple):
    """Where a command lives and the one line ``reprocheck --help`` shows for it (its docstring's first
    sentence; tests/test_cli.py checks that the two agree)."""

    module: str
    function: str
    short_help: str


class LazyCommands(MutableMapping[str, Any]):
    """Click commands by name: built ones, then registry entries built (and kept) on first lookup."""

    def __init__(self, built: Mapping[str, Any], registry: Mapping[str, LazyCommand], group: LazyGroup) -> None:
        self._built: dict[str, Any] = dict(built)
        self._registry = registry
        self._group = group

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            entry = self._registry[name]  # KeyError for an unknown name, as a dict would
            callback = getattr(importlib.import_module(entry.module), entry.function)
            self._built[name] = get_command_from_info(
                CommandInfo(name=name, callback=callback),
                pretty_exceptions_short=True,
                rich_markup_mode=self._group.rich_markup_mode,
            )
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        self._built.pop(name, None)
        if name in self._registry:
            self._registry = {k: v for k, v in self._registry.items() if k != name}

    def __iter__(self) -> Iterator[str]:
        yield from self._built
        yield from (name for name in self._registry if name not in self._built)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, name: object) -> bool:
        return name in self._built or name in self._registry

    def short_help(self, name: str, limit: int) -> str | None:
        """The listing line of a command not built yet (None once it is built: ask the command)."""
        if name in self._built:
            return None
        return make_default_short_help(self._registry[name].short_help, limit)


class LazyGroup(TyperGroup):
    """A TyperGroup whose registry commands are imported on use. Set ``REGISTRY`` in a subclass."""

    REGISTRY: Mapping[str, LazyCommand] = {}

    def __init__(self, *, commands: Mapping[str, Any] | None = None, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(commands or {}, self.REGISTRY, self)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # TyperGroup's walks items(), which would build every command

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        commands: LazyCommands = self.commands  # type: ignore[assignment]
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            text = commands.short_help(name, limit)
            if text is None:
                cmd = commands[name]
                if cmd.hidden:
                    continue
                text = cmd.get_short_help_str(limit)
            rows.append((name, text))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
