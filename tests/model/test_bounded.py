"""Issue 24 fault 5: deep or huge data from the project. JSON nested past the bound is a finding (never a
RecursionError); a golden over ``max-output`` is refused from its size, never loaded."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reprocheck import envprobe
from reprocheck.model.bounded import MAX_DEPTH, TooDeep, TooLarge, loads, read_limited, too_deep
from reprocheck.smoke.compare import all_differences, classify, compare, moving_keys
from reprocheck.verify.probe import parse_probe


def nested(n: int, leaf: str = "1") -> bytes:
    return ("[" * n + leaf + "]" * n).encode()


def true_depth(value: Any) -> int:
    """The nesting depth of a parsed value, without recursion."""
    best, stack = 0, [(value, 1 if isinstance(value, list | dict) else 0)]
    while stack:
        v, d = stack.pop()
        best = max(best, d)
        children = v.values() if isinstance(v, dict) else v if isinstance(v, list) else ()
        stack.extend((c, d + 1) for c in children if isinstance(c, list | dict))
    return best


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab\u00e9\n'),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet='[]{}"\\x'), inner, max_size=3),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(JSON, st.integers(min_value=0, max_value=8))
def test_too_deep_agrees_with_the_parsed_depth(value: Any, bound: int):
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False, indent=1)):
        assert too_deep(text, bound) == (true_depth(value) > bound), text


def test_the_bound_is_inclusive_and_strings_do_not_count():
    assert loads(nested(MAX_DEPTH)) is not None
    with pytest.raises(TooDeep):
        loads(nested(MAX_DEPTH + 1))
    assert loads(json.dumps(["[" * 5000, "\\" * 7, '"[{'])) == ["[" * 5000, "\\" * 7, '"[{']


@pytest.mark.parametrize(("golden", "output"), [(b"[1]", nested(100_000)), (nested(100_000), b"[1]")])
def test_deep_output_or_golden_is_a_finding_not_a_crash(golden: bytes, output: bytes):
    result = compare(golden, output, "json")
    assert not result.equal and f"nested deeper than {MAX_DEPTH} levels" in result.problem
    assert all_differences(golden, output, "json") == []
    assert classify(golden, output, "json") == ()
    assert moving_keys(output, golden, "json") == ["(the whole output)"]


def test_900_deep_with_another_leaf():
    result = compare(nested(900, "1"), nested(900, "2"), "json")
    assert not result.equal and "nested deeper" in result.problem
    shallow = compare(nested(100, "1"), nested(100, "2"), "json")  # within the bound: compared as usual
    assert shallow.total == 1 and shallow.differences[0].where.startswith("$[0][0]")


def test_deep_environment_records_and_probe_lines_are_ignored(tmp_path: Path):
    deep = '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert envprobe.parse(deep.encode()) is None
    record = tmp_path / "golden.json.env.json"
    record.write_text(deep)
    assert envprobe.load_record(record) is None
    assert parse_probe(deep.encode()) == (None, "the probe printed no inventory")


def test_a_sparse_golden_is_refused_from_its_size(tmp_path: Path):
    golden = tmp_path / "golden.json"
    with golden.open("wb") as fh:
        fh.truncate(512 * 1024**2)  # no disk used
    with pytest.raises(TooLarge):
        read_limited(golden, 16 * 1024**2)
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(ValueError, match="not a regular file"):
        read_limited(tmp_path / "fifo", 1024)  # O_NONBLOCK: never waits for a writer
    golden.write_bytes(b"[1]")
    assert read_limited(golden, 3) == b"[1]"
