"""The judging half of smoke: spec validation, comparison, explanation, input digests. No Docker."""

from __future__ import annotations

import json

import pytest

from reprocheck.backend.inputs import inputs_digest
from reprocheck.errors import ConfigError
from reprocheck.parsing.dockerfile import parse_dockerfile
from reprocheck.runtime.buildkit import buildkit_reasons
from reprocheck.smoke.compare import compare
from reprocheck.smoke.explain import explain
from reprocheck.smoke.spec import Tolerance, load_spec, memory_bytes

SPEC = """[tool.reprocheck.smoke]
command = ["python", "predict.py", "data/rows.json"]
inputs = ["data/rows.json"]
golden = "golden.json"
compare = "json"
rtol = 1e-6
keys = { "$.latency_ms" = "ignore", "$.probabilities[*]" = { rtol = 1e-3 } }
"""


def project(make_project, extra: str = "", files: dict[str, str] | None = None):
    return make_project(
        {"pyproject.toml": SPEC + extra, "Dockerfile": "FROM a\n", "data/rows.json": "[]", **(files or {})}
    )


def test_spec_is_read_and_resolved(make_project):
    root = project(make_project)
    spec = load_spec(None, root)
    assert spec.command == ("python", "predict.py", "data/rows.json")
    assert spec.golden == root.resolve() / "golden.json"
    assert spec.dockerfile == root.resolve() / "Dockerfile"
    assert spec.keys["$.latency_ms"].ignore and spec.keys["$.probabilities[*]"].rtol == 1e-3
    assert (spec.network, spec.timeout, spec.memory) == (False, 120.0, "1g")
    assert spec.line_of("command") == 2


@pytest.mark.parametrize(
    ("extra", "key", "line"),
    [
        ("timeot = 3\n", "timeot", 8),
        ('memory = "lots"\n', "memory", 8),
        ("rtol = -1\n", "rtol", 6),
        ('network = "yes"\n', "network", 8),
        ('output = "/abs/out.json"\n', "output", 8),
    ],
)
def test_spec_mistakes_name_the_key_and_line(make_project, extra: str, key: str, line: int):
    if key == "rtol":
        root = make_project(
            {
                "pyproject.toml": SPEC.replace("rtol = 1e-6", "rtol = -1"),
                "Dockerfile": "FROM a\n",
                "data/rows.json": "[]",
            }
        )
    else:
        root = project(make_project, extra)
    with pytest.raises(ConfigError) as exc:
        load_spec(None, root)
    assert (
        exc.value.line == line
        and f"smoke.{key}" in exc.value.message
        and str(exc.value.path).endswith("pyproject.toml")
    )


def test_spec_requires_command_golden_and_existing_inputs(make_project):
    root = make_project({"reprocheck.toml": '[smoke]\ngolden = "g.json"\n', "Dockerfile": "FROM a\n"})
    with pytest.raises(ConfigError, match=r"smoke\.command: is required"):
        load_spec(None, root)
    (root / "reprocheck.toml").write_text('[smoke]\ncommand = ["x"]\ngolden = "g"\ninputs = ["missing.json"]\n')
    with pytest.raises(ConfigError, match=r"missing\.json` does not exist"):
        load_spec(None, root)


def test_memory_units():
    assert memory_bytes("512m") == 512 * 1024**2
    assert memory_bytes("2g") == 2 * 1024**3
    assert memory_bytes("256MiB") == 256 * 1024**2
    with pytest.raises(ValueError, match="not a size"):
        memory_bytes("a lot")


def test_json_compare_with_tolerance_and_overrides():
    golden = json.dumps({"predictions": [0, 1], "probabilities": [0.5, 0.25], "latency_ms": 12, "model": "v1"})
    close = json.dumps({"predictions": [0, 1], "probabilities": [0.5004, 0.25], "latency_ms": 99, "model": "v1"})
    keys = {"$.latency_ms": Tolerance(ignore=True), "$.probabilities[*]": Tolerance(rtol=1e-3)}
    assert compare(golden.encode(), close.encode(), "json", Tolerance(rtol=1e-9), keys).equal
    far = json.dumps({"predictions": [0, 2], "probabilities": [0.6, 0.25], "model": "v2", "extra": 1})
    result = compare(golden.encode(), far.encode(), "json", Tolerance(rtol=1e-9), keys)
    assert not result.equal
    got = {d.where: (d.expected, d.actual) for d in result.differences}
    assert got["$.predictions[1]"] == ("1", "2")
    assert got["$.probabilities[0]"] == ("0.5", "0.6")
    assert got["$.model"] == ("'v1'", "'v2'")
    assert got["$.extra"] == ("(absent)", "1")
    assert "$.latency_ms" not in got  # ignored, even when missing
    assert "rtol=0.001" in next(d.tolerance for d in result.differences if d.where == "$.probabilities[0]")


def test_json_compare_types_lengths_and_non_json():
    assert not compare(b'{"a": [1, 2]}', b'{"a": [1]}', "json").equal
    assert not compare(b'{"a": 1}', b'{"a": "1"}', "json").equal
    assert not compare(b'{"a": true}', b'{"a": 1}', "json").equal
    bad = compare(b"{}", b"Traceback: boom", "json")
    assert not bad.equal and "not JSON" in bad.problem


def test_text_and_exact_compare():
    assert compare(b"a  b\nc\n\n", b"a b  \r\nc", "text").equal
    result = compare(b"a\nb\n", b"a\nc\n", "text")
    assert [(d.where, d.expected, d.actual) for d in result.differences] == [("line 2", "'b'", "'c'")]
    assert not compare(b"a\n", b"a\r\n", "exact").equal
    assert compare(b"same", b"same", "exact").equal


def test_many_differences_are_counted_but_few_shown():
    golden = json.dumps(list(range(50))).encode()
    result = compare(golden, json.dumps([x + 1 for x in range(50)]).encode(), "json")
    assert result.total == 50 and len(result.differences) == 10


@pytest.mark.parametrize(
    ("stderr", "exit_code", "timed_out", "oom", "cause", "rule"),
    [
        (
            "urllib.error.URLError: <urlopen error [Errno -3] Temporary failure in name resolution>",
            1,
            False,
            False,
            "network",
            "RC802",
        ),
        ("ModuleNotFoundError: No module named 'torch'", 1, False, False, "module not found", "RC802"),
        (
            "FileNotFoundError: [Errno 2] No such file or directory: 'weights.json'",
            1,
            False,
            False,
            "file not found",
            "RC802",
        ),
        ("OSError: [Errno 30] Read-only file system: '/app/cache'", 1, False, False, "read-only file system", "RC802"),
        ("", 137, False, True, "out of memory", "RC804"),
        ("MemoryError", 1, False, False, "out of memory", "RC804"),
        ("", None, True, False, "timeout", "RC803"),
        ("ValueError: bad input", 1, False, False, "crash", "RC802"),
    ],
)
def test_explain(stderr, exit_code, timed_out, oom, cause, rule):
    why = explain(exit_code, stderr.encode(), timed_out, oom)
    assert (why.cause, why.rule.id) == (cause, rule)
    if stderr:
        assert why.evidence[-1] == stderr


def test_inputs_digest_follows_what_the_build_reads(make_project):
    root = project(make_project, files={".dockerignore": "notes/\n", "app.py": "print(1)\n", "notes/todo.txt": "x"})
    spec = load_spec(None, root)
    first = inputs_digest(spec.source)
    (root / "notes" / "todo.txt").write_text("changed")  # ignored by .dockerignore: same inputs
    assert inputs_digest(spec.source) == first
    (root / "app.py").write_text("print(2)\n")
    assert inputs_digest(spec.source) != first
    (root / "app.py").write_text("print(1)\n")
    assert inputs_digest(spec.source) == first
    (root / "app.py").chmod(0o755)  # the executable bit reaches the image too
    assert inputs_digest(spec.source) != first


def test_buildkit_reasons():
    df = parse_dockerfile(
        "FROM a\nRUN --mount=type=cache,target=/root/.cache pip install x\n"
        "COPY --link . /app\nRUN <<EOF\necho hi\nEOF\n",
        "Dockerfile",
    )
    assert buildkit_reasons(df) == ["line 2: RUN --mount", "line 3: COPY --link", "line 4: here-document in RUN"]
    assert buildkit_reasons(parse_dockerfile("FROM a\nCOPY --chown=1:1 . /app\nRUN echo\n", "Dockerfile")) == []
