"""Command-line option splitting shared by the package-manager parsers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple


class OptionSpec(NamedTuple):
    """Which options take an argument, and the long names of short options and aliases."""

    with_arg: frozenset[str]
    aliases: Mapping[str, str] = {}


class Parsed:
    __slots__ = ("options", "positionals")

    def __init__(self) -> None:
        self.options: dict[str, list[str]] = {}
        self.positionals: list[str] = []

    def add(self, name: str, value: str) -> None:
        self.options.setdefault(name, []).append(value)

    def frozen(self) -> dict[str, tuple[str, ...]]:
        return {k: tuple(v) for k, v in self.options.items()}


def split_options(args: Sequence[str], spec: OptionSpec, stop_at_first_positional: bool = False) -> Parsed:
    """Split ``args`` into options (long names, each with its values) and positionals.

    Handles ``--opt=value``, ``--opt value``, ``-o value``, ``-ovalue`` and bundled short flags ``-qy``.
    Unknown options are taken as flags. After ``--`` everything is positional.
    """
    out = Parsed()
    a = spec.aliases
    k = 0
    n = len(args)
    while k < n:
        arg = args[k]
        k += 1
        if arg == "--":
            out.positionals.extend(args[k:])
            break
        if arg.startswith("--") and len(arg) > 2:
            name, eq, value = arg.partition("=")
            name = a.get(name, name)
            if eq:
                out.add(name, value)
            elif name in spec.with_arg and k < n:
                out.add(name, args[k])
                k += 1
            else:
                out.add(name, "")
            continue
        if arg.startswith("-") and len(arg) > 1 and not arg[1].isdigit():
            # bundled short options: -qy, -rrequirements.txt, -Ur req.txt
            j = 1
            while j < len(arg):
                short = "-" + arg[j]
                name = a.get(short, short)
                if short in spec.with_arg or name in spec.with_arg:
                    rest = arg[j + 1 :]
                    if rest.startswith("="):
                        rest = rest[1:]
                    if rest:
                        out.add(name, rest)
                    elif k < n:
                        out.add(name, args[k])
                        k += 1
                    else:
                        out.add(name, "")
                    break
                out.add(name, "")
                j += 1
            continue
        out.positionals.append(arg)
        if stop_at_first_positional:
            out.positionals.extend(args[k:])
            break
    return out
