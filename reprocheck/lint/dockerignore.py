""".dockerignore, matched like Docker's patternmatcher: ``*`` and ``?`` within a path component, ``**`` across
components, ``[...]`` classes as ``filepath.Match`` reads them (``^`` negates), ``\\`` escapes, ``!``
re-includes, the last matching pattern wins, and a pattern that matches a directory excludes everything under
it.

The project writes these patterns, so they never become backtracking regular expressions: each is compiled to
a small automaton run one character at a time over the set of its live states (Thompson's construction, its
transitions memoised as a lazy DFA), time linear in the path whatever the pattern (``**/`` twelve times, then
``x``, took minutes as a regex). A pattern docker refuses (``[]``, ``[z-a]``, an unclosed ``[``, a trailing
``\\``) is the error docker reports, at its line: "syntax error in pattern".
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import cast

from reprocheck.errors import ConfigError
from reprocheck.model._value import valueclass

from . import files

# token kinds
_LIT, _ONE, _CLASS, _STAR, _DSTAR, _ALL = range(6)
_CACHE_MAX = 4096  # memoised transitions per pattern


class PatternSyntaxError(ValueError):
    """Docker refuses the pattern (Go's filepath.ErrBadPattern: "syntax error in pattern")."""


def _escaped(pattern: str, j: int) -> tuple[str, int]:
    """One character of a class at ``j`` (``\\`` escapes), as Go's filepath.Match reads it."""
    if j >= len(pattern) or pattern[j] in "-]":
        raise PatternSyntaxError("syntax error in pattern")
    if pattern[j] == "\\":
        j += 1
        if j >= len(pattern):
            raise PatternSyntaxError("syntax error in pattern")
    return pattern[j], j + 1


def _class(pattern: str, i: int) -> tuple[tuple[bool, tuple[tuple[str, str], ...]], int]:
    """The class starting at ``pattern[i] == "["``: (negated, ranges), and the index after its ``]``."""
    j = i + 1
    negated = j < len(pattern) and pattern[j] == "^"
    if negated:
        j += 1
    ranges: list[tuple[str, str]] = []
    while True:
        if j >= len(pattern):
            raise PatternSyntaxError("syntax error in pattern")
        if pattern[j] == "]" and ranges:
            return (negated, tuple(ranges)), j + 1
        lo, j = _escaped(pattern, j)
        hi = lo
        if j < len(pattern) and pattern[j] == "-":
            hi, j = _escaped(pattern, j + 1)
            if hi < lo:  # Go's filepath.Match lets it pass; docker's regexp does not
                raise PatternSyntaxError("syntax error in pattern")
        ranges.append((lo, hi))


def _tokens(pattern: str) -> tuple[tuple[int, object], ...]:
    out: list[tuple[int, object]] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                out.append((_ALL, None) if i >= n else (_DSTAR, None))  # `(.*/)?`, or `.*` at the end
                continue
            out.append((_STAR, None))
        elif c == "?":
            out.append((_ONE, None))
        elif c == "[":
            cls, i = _class(pattern, i)
            out.append((_CLASS, cls))
            continue
        elif c == "\\":
            i += 1
            if i >= n:
                raise PatternSyntaxError("syntax error in pattern")
            out.append((_LIT, pattern[i]))
        else:
            out.append((_LIT, c))
        i += 1
    return tuple(out)


class Matcher:
    """One pattern as an automaton. States: ``2*i`` before token i (``2*len`` accepts), ``2*i + 1`` inside
    the ``(.*/)?`` of a ``**`` token i."""

    __slots__ = ("_accept", "_cache", "_literal", "_start", "tokens")

    def __init__(self, pattern: str) -> None:
        self.tokens = _tokens(pattern)
        self._accept = 2 * len(self.tokens)
        self._literal = "".join(str(v) for _, v in self.tokens) if all(k == _LIT for k, _ in self.tokens) else None
        self._start = self._closure({0})
        self._cache: dict[tuple[frozenset[int], str], frozenset[int]] = {}

    def _closure(self, states: set[int]) -> frozenset[int]:
        todo = list(states)
        while todo:
            s = todo.pop()
            if s % 2 or s == self._accept:
                continue
            if self.tokens[s // 2][0] in (_STAR, _DSTAR, _ALL) and s + 2 not in states:
                states.add(s + 2)
                todo.append(s + 2)
        return frozenset(states)

    def _step(self, states: frozenset[int], ch: str) -> frozenset[int]:
        key = (states, ch)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        out: set[int] = set()
        for s in states:
            if s == self._accept:
                continue
            i = s // 2
            kind, value = self.tokens[i]
            if s % 2:  # inside `(.*/)?`
                out.add(s)
                if ch == "/":
                    out.add(2 * i + 2)
            elif kind == _LIT:
                if ch == value:
                    out.add(s + 2)
            elif kind == _ONE:
                if ch != "/":
                    out.add(s + 2)
            elif kind == _CLASS:
                negated, ranges = cast("tuple[bool, tuple[tuple[str, str], ...]]", value)
                if any(lo <= ch <= hi for lo, hi in ranges) is not negated:
                    out.add(s + 2)
            elif kind == _STAR:
                if ch != "/":
                    out.add(s)
            elif kind == _ALL:
                out.add(s)
            else:  # _DSTAR
                out.add(s + 1)
                if ch == "/":
                    out.add(s + 2)
        result = self._closure(out)
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[key] = result
        return result

    def match(self, path: str) -> bool:
        """The whole of ``path`` matches."""
        if self._literal is not None:
            return path == self._literal
        states = self._start
        for ch in path:
            states = self._step(states, ch)
            if not states:
                return False
        return self._accept in states

    def match_or_parent(self, path: str) -> bool:
        """``path`` or one of its parent directories matches: one pass over the path."""
        if self._literal is not None:
            return path == self._literal or path.startswith(self._literal + "/")
        states = self._start
        for ch in path:
            if ch == "/" and self._accept in states:
                return True
            states = self._step(states, ch)
            if not states:
                return False
        return self._accept in states


@valueclass(slots=True)
class Pattern:
    line: int
    text: str
    matcher: Matcher
    exclusion: bool


def parse_dockerignore(text: str, where: str = ".dockerignore") -> list[Pattern]:
    """The patterns of a .dockerignore; a pattern docker refuses raises ConfigError at its line."""
    patterns: list[Pattern] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        if exclusion:
            line = line[1:].strip()
        cleaned = posixpath.normpath(line).lstrip("/")  # a backslash escapes (docker on Linux)
        if cleaned in (".", ""):
            cleaned = "."
        try:
            matcher = Matcher(cleaned)
        except PatternSyntaxError as exc:
            raise ConfigError(
                f"{exc} `{raw.strip()}`: docker refuses to build with it (see Go's filepath.Match)",
                path=where,
                line=number,
            ) from None
        patterns.append(Pattern(number, raw.strip(), matcher, exclusion))
    return patterns


class DockerIgnore:
    def __init__(self, patterns: list[Pattern], where: str = ".dockerignore", text: str | None = None) -> None:
        self.patterns = patterns
        self.where = where
        self.text = text  # the file as read (None: there was none)

    @classmethod
    def for_context(cls, context: Path, dockerfile: Path) -> DockerIgnore:
        """``<Dockerfile>.dockerignore`` next to the Dockerfile wins over ``.dockerignore`` in the context."""
        return cls._first((dockerfile.with_name(dockerfile.name + ".dockerignore"), context / ".dockerignore"))

    @classmethod
    def in_context(cls, context: Path) -> DockerIgnore:
        """Only the context's ``.dockerignore``: what the classic builder reads."""
        return cls._first((context / ".dockerignore",))

    @classmethod
    def _first(cls, candidates: tuple[Path, ...]) -> DockerIgnore:
        for candidate in candidates:
            if files.is_regular(candidate):
                # a link out of the directory is not followed: its lines would be quoted in findings
                data = files.read_file(candidate, candidate.parent)
                if isinstance(data, files.Unreadable):
                    continue
                text = data.decode("utf-8", errors="replace")
                return cls(parse_dockerignore(text, str(candidate)), candidate.name, text)
        return cls([])

    def excluded_by(self, rel_path: str) -> Pattern | None:
        """The pattern that excludes ``rel_path`` (relative to the context), or None when it is sent."""
        path = posixpath.normpath(rel_path).lstrip("/")
        verdict: Pattern | None = None
        for pattern in self.patterns:
            if pattern.text.lstrip("!").strip() in (".", "./"):
                continue
            if pattern.matcher.match_or_parent(path):
                verdict = None if pattern.exclusion else pattern
        return verdict

    def describe(self, pattern: Pattern) -> str:
        return f"{self.where}:{pattern.line} `{pattern.text}`"
