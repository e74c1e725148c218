""".dockerignore, matched like Docker's patternmatcher: ``*`` and ``?`` within a path component, ``**`` across
components, ``!`` re-includes, the last matching pattern wins, and a pattern that matches a directory
excludes everything under it."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from reprocheck.model._value import valueclass

from . import files


@valueclass(slots=True)
class Pattern:
    line: int
    text: str
    regex: re.Pattern[str]
    exclusion: bool


def _to_regex(pattern: str) -> re.Pattern[str]:
    out = ["^"]
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                    out.append("(?:.*/)?")
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    out.append("$")
    return re.compile("".join(out))


def parse_dockerignore(text: str) -> list[Pattern]:
    patterns: list[Pattern] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        if exclusion:
            line = line[1:].strip()
        cleaned = posixpath.normpath(line.replace("\\", "/")).lstrip("/")
        if cleaned in (".", ""):
            cleaned = "."
        patterns.append(Pattern(number, raw.strip(), _to_regex(cleaned), exclusion))
    return patterns


class DockerIgnore:
    def __init__(self, patterns: list[Pattern], where: str = ".dockerignore") -> None:
        self.patterns = patterns
        self.where = where

    @classmethod
    def for_context(cls, context: Path, dockerfile: Path) -> DockerIgnore:
        """``<Dockerfile>.dockerignore`` next to the Dockerfile wins over ``.dockerignore`` in the context."""
        for candidate in (dockerfile.with_name(dockerfile.name + ".dockerignore"), context / ".dockerignore"):
            if files.is_regular(candidate):
                # a link out of the directory is not followed: its lines would be quoted in findings
                data = files.read_file(candidate, candidate.parent)
                if isinstance(data, files.Unreadable):
                    continue
                return cls(parse_dockerignore(data.decode("utf-8", errors="replace")), candidate.name)
        return cls([])

    def excluded_by(self, rel_path: str) -> Pattern | None:
        """The pattern that excludes ``rel_path`` (relative to the context), or None when it is sent."""
        path = posixpath.normpath(rel_path).lstrip("/")
        parts = path.split("/")
        parents = ["/".join(parts[:k]) for k in range(1, len(parts) + 1)]
        verdict: Pattern | None = None
        for pattern in self.patterns:
            if pattern.text.lstrip("!").strip() in (".", "./"):
                continue
            if any(pattern.regex.match(p) for p in parents):
                verdict = None if pattern.exclusion else pattern
        return verdict

    def describe(self, pattern: Pattern) -> str:
        return f"{self.where}:{pattern.line} `{pattern.text}`"
