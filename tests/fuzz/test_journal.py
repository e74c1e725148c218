"""Run journals as a hostile project or a crashed run leaves them: ``read_runs`` raises nothing, and every
run it returns has a real process id and object ids that are safe in an engine API path."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from reprocheck.backend.journal import KINDS, MAX_PID, read_runs
from tests.fuzz.strategies import FUZZ

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
HEADER = st.fixed_dictionaries(
    {},
    optional={"run": st.text(max_size=70) | VALUES, "project": VALUES, "pid": VALUES, "host": VALUES, "engine": VALUES},
)
ENTRY = st.dictionaries(
    st.sampled_from(("created", "removed", "kept", "id", "x")),
    st.sampled_from(KINDS) | st.text(max_size=70) | VALUES,
    max_size=3,
)


def line(value: object) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


LINES = st.one_of(
    HEADER.map(line),
    ENTRY.map(line),
    st.binary(max_size=40),
    st.integers(min_value=1, max_value=3000).map(lambda n: b"[" * n + b"]" * n),
    st.sampled_from(
        [
            b'{"run": "r1", "pid": 1e300}',
            b'{"run": "r1", "pid": Infinity}',
            b'{"run": "r1", "pid": NaN}',
            f'{{"run": "r1", "pid": {2**70}}}'.encode(),
            b'{"run": "r1", "pid": 4242}',
            b'{"created": "image", "id": "../../x"}',
        ]
    ),
)


@FUZZ
@given(st.lists(LINES, max_size=6))
def test_read_runs_never_raises_and_returns_only_sane_runs(lines: list[bytes]):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "r1.jsonl").write_bytes(b"\n".join(lines))
        warnings: list[str] = []
        runs = read_runs(folder, warn=warnings.append)
        for run in runs:
            assert type(run.pid) is int and 0 < run.pid <= MAX_PID
            assert isinstance(run.run, str) and isinstance(run.project, str)
            assert set(run.outstanding) == set(KINDS)
            assert all("/" not in i and i[:1].isalnum() for ids in run.outstanding.values() for i in ids)
            run.alive  # noqa: B018  os.kill with that pid: no OverflowError
        assert len(runs) + len([w for w in warnings if ": skipped: " in w]) == 1
        assert all("\n" not in w for w in warnings)
