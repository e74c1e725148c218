"""``lazy(...)`` is a compiled pattern that compiles at its first use."""

from __future__ import annotations

import re

from reprocheck.model.patterns import lazy


def test_a_lazy_pattern_answers_as_the_compiled_one():
    source, text = r"(?P<k>[a-z]+)=(\d+)", "a=1, B=2, cc=33"
    eager, late = re.compile(source, re.IGNORECASE), lazy(source, re.IGNORECASE)
    assert "match" not in vars(late)  # nothing compiled yet
    assert late.search(text).group("k") == eager.search(text).group("k") == "a"  # type: ignore[union-attr]
    assert "match" in vars(late)  # compiled once, its methods kept
    assert [m.span() for m in late.finditer(text)] == [m.span() for m in eager.finditer(text)]
    assert late.findall(text) == eager.findall(text) and late.sub("-", text) == eager.sub("-", text)
    assert late.split(text) == eager.split(text) and late.fullmatch("x=9") and not late.match(" x=9")
    assert (late.pattern, late.flags, late.groups) == (eager.pattern, eager.flags, eager.groups)
    assert late.groupindex == eager.groupindex  # an attribute not kept is still answered
