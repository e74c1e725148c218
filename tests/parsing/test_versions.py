"""The fast version checks agree with packaging wherever they answer."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from reprocheck.parsing.versions import release_satisfies, simple_clauses

_release = st.lists(st.integers(0, 12), min_size=1, max_size=4).map(lambda p: ".".join(map(str, p)))
_clause = st.tuples(st.sampled_from(["==", "!=", ">=", "<=", ">", "<", "~="]), _release)


@settings(max_examples=600, deadline=None)
@given(version=_release, clauses=st.lists(_clause, min_size=1, max_size=3))
def test_release_satisfies_matches_packaging(version: str, clauses: list[tuple[str, str]]):
    spec = ",".join(op + v for op, v in clauses)
    parsed = simple_clauses(spec)
    try:
        expected = SpecifierSet(spec).contains(Version(version), prereleases=True)
    except InvalidSpecifier:
        assert parsed is None
        return
    assert parsed is not None
    got = release_satisfies(version, parsed)
    if got is not None:
        assert got is expected, (version, spec)


def test_non_release_forms_are_left_to_packaging():
    assert simple_clauses(">=1.0a1") is None
    assert simple_clauses("==1.*") is None
    assert release_satisfies("1.0rc1", [(">=", "1.0")]) is None
