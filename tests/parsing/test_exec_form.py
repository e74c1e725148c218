"""The exec form's fast reading agrees with ``json.loads`` wherever it answers."""

from __future__ import annotations

import itertools
import json

from reprocheck.parsing.dockerfile import _json_argv, _plain_string_array

PIECES = [
    '"a"',
    '"py thon"',
    '""',
    ",",
    " ",
    "\t",
    "\n",
    "\x0b",
    '"a,b"',
    '"\\n"',
    '"q\\"q"',
    '"\x01"',
    '"é"',
    "1",
    "[",
    "]",
]


def _json(text: str) -> list[str] | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, list) and all(isinstance(x, str) for x in data) else None


def test_plain_arrays_read_as_json_reads_them():
    checked = 0
    for n in range(4):
        for parts in itertools.product(PIECES, repeat=n):
            text = "[" + "".join(parts) + "]"
            fast = _plain_string_array(text)
            if fast is not None:
                assert fast == json.loads(text), text
                checked += 1
            assert _json_argv(text) == _json(text.strip()), text
    assert checked > 100  # the fast reading answers the usual forms


def test_exec_forms_with_escapes_still_go_through_json():
    assert _plain_string_array('["a\\"b", "c"]') is None
    assert _json_argv('["a\\"b", "c,d"]') == ['a"b', "c,d"]
    assert _json_argv('["python", "app.py"]') == ["python", "app.py"]
    assert _json_argv("[python]") is None and _json_argv('["a"] x') is None
