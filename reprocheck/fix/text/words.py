"""Find a shell command's words in the text of its RUN instruction, as written (quotes, continuations and
all), so a fixer can edit one word and leave the rest of the instruction alone."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reprocheck.fix.text.edits import Source
from reprocheck.model.dockerfile import Instruction, RunInstruction
from reprocheck.model.shell import ShellCommand

_GAP = re.compile(r"(?:[ \t]|\\\n|(?<=\n)[ \t]*#[^\n]*\n)*")
_BEFORE = " \t\n;&|(`"
_AFTER = " \t\n;&|)`"


@dataclass(frozen=True, slots=True)
class Span:
    line: int
    start: int
    end: int
    written: str

    def inner(self) -> Span:
        """The span inside matching quotes (``"numpy>=1"`` -> ``numpy>=1``)."""
        w = self.written
        if len(w) >= 2 and w[0] == w[-1] and w[0] in "\"'":
            return Span(self.line, self.start + 1, self.end - 1, w[1:-1])
        return self


class _Flat:
    """Lines first..last joined with ``\\n``; offsets map back to (line, column)."""

    def __init__(self, source: Source, first: int, last: int) -> None:
        self.starts: list[tuple[int, int]] = []
        parts: list[str] = []
        offset = 0
        for number in range(first, min(last, len(source.lines)) + 1):
            text = source.line(number)
            self.starts.append((offset, number))
            parts.append(text)
            offset += len(text) + 1
        self.text = "\n".join(parts)

    def position(self, offset: int) -> tuple[int, int]:
        line_start, number = self.starts[0]
        for start, n in self.starts:
            if start > offset:
                break
            line_start, number = start, n
        return number, offset - line_start


def command_spans(source: Source, ins: Instruction, command: ShellCommand, after: int = 0) -> list[Span] | None:
    """The spans of ``command.raw`` in ``ins`` (every word on one line), searching from flat offset ``after``;
    None when the words are not found as written (a word split over lines, a here-document...)."""
    if not command.raw:
        return None
    flat = _Flat(source, ins.line, ins.end_line)
    text = flat.text
    first = command.raw[0]
    start = text.find(first, after)
    while start >= 0:
        if start == 0 or text[start - 1] in _BEFORE:
            spans = _match(flat, start, command.raw)
            if spans is not None:
                return spans
        start = text.find(first, start + 1)
    return None


def _match(flat: _Flat, start: int, words: tuple[str, ...]) -> list[Span] | None:
    text = flat.text
    spans: list[Span] = []
    pos = start
    for k, word in enumerate(words):
        if k:
            gap = _GAP.match(text, pos)
            if gap is None or gap.end() == pos:
                return None
            pos = gap.end()
        if not text.startswith(word, pos) or "\n" in word:
            return None
        end = pos + len(word)
        if end < len(text) and text[end] not in _AFTER and text[end] != "\\":
            return None
        line, col = flat.position(pos)
        spans.append(Span(line, col, col + len(word), word))
        pos = end
    return spans


def next_command(ins: RunInstruction, cmd: ShellCommand) -> ShellCommand | None:
    """The command after ``cmd`` in the same shell context of ``ins``, if any."""
    commands = [c for c in ins.commands if c.context == cmd.context]
    k = next((i for i, c in enumerate(commands) if c is cmd), -1)
    return commands[k + 1] if 0 <= k < len(commands) - 1 else None


def previous_command(ins: RunInstruction, cmd: ShellCommand) -> ShellCommand | None:
    """The command before ``cmd`` in the same shell context of ``ins``, if any."""
    commands = [c for c in ins.commands if c.context == cmd.context]
    k = next((i for i, c in enumerate(commands) if c is cmd), -1)
    return commands[k - 1] if k > 0 else None
