"""The .dockerignore automaton against the regular expression docker's patternmatcher builds, on generated
patterns and paths short enough for a backtracking engine: the same answer, or a syntax error for both."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from reprocheck.lint.dockerignore import Matcher, PatternSyntaxError
from tests.fuzz.strategies import FUZZ

PIECES = st.sampled_from(["a", "b", "/", "*", "**", "**/", "?", "[ab]", "[^a]", "[!a]", "[a-b]", "\\*", ".", "x"])
PATTERN = st.lists(st.one_of(PIECES, st.sampled_from(["[", "]", "\\", "[]", "[z-a]", "-"])), max_size=8).map("".join)
PATH = st.lists(st.sampled_from(["a", "b", "x", "/", "*", "!", "ab", "a/b"]), max_size=8).map("".join)


def docker_regex(pattern: str) -> re.Pattern[str]:
    """patternmatcher's translation (for Linux), over what Go's filepath.Match accepts."""
    out, i, n = "", 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                out += ".*" if i >= n else "(?:.*/)?"
                continue
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "\\":
            i += 1
            out += re.escape(pattern[i])
        elif c == "[":
            j = i + 1
            out += "["
            if pattern[j] == "^":
                out += "^"
                j += 1
            first = True
            while first or pattern[j] != "]":
                first = False
                if pattern[j] == "\\":
                    j += 1
                    out += re.escape(pattern[j])
                else:
                    out += "-" if pattern[j] == "-" else re.escape(pattern[j])
                j += 1
            out += "]"
            i = j
        else:
            out += re.escape(c)
        i += 1
    return re.compile(out, re.DOTALL)


@FUZZ
@given(PATTERN, PATH)
def test_the_automaton_agrees_with_dockers_regex(pattern: str, path: str):
    try:
        matcher = Matcher(pattern)
    except PatternSyntaxError:
        return  # which patterns are refused: tests/lint/test_dockerignore.py against docker itself
    expected = docker_regex(pattern).fullmatch(path) is not None
    assert matcher.match(path) is expected, (pattern, path)
    parents = ["/".join(path.split("/")[:k]) for k in range(1, path.count("/") + 2)]
    assert matcher.match_or_parent(path) is any(docker_regex(pattern).fullmatch(p) for p in parents)
