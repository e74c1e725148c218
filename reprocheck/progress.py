"""What a progress callback receives: a plain ``str`` is a headline (a build step, or what a command is doing
now); an ``OutputLine`` is a line of output under the current headline (what a build step printed). Both are
strings, so a callback that only prints still works."""

from __future__ import annotations


class OutputLine(str):
    """A line printed by the current build step (not a step, not a status)."""

    __slots__ = ()
