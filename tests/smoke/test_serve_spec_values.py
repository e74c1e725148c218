"""Serve-mode values that cannot go on the wire are refused when the spec is loaded (exit 2, file:line),
never after the build as an internal error; ready-log is compiled by RE2."""

from __future__ import annotations

import pytest

from reprocheck.errors import ConfigError
from reprocheck.smoke.spec import load_spec
from tests.conftest import run_cli

BASE = """[tool.reprocheck.smoke]
command = ["python", "serve.py"]
golden = "golden.json"

[tool.reprocheck.smoke.serve]
port = 8080
"""


@pytest.mark.parametrize(
    ("line", "key", "says"),
    [
        ('path = "/pre dict"', "path", "contains a space"),
        ('path = "predict"', "path", "must be an absolute path"),
        ('path = "/a\\r\\nX-Injected: 1"', "path", "contains '\\r'"),
        ('path = "/caf\u00e9"', "path", "contains 'é'"),
        ('ready-http = "/health check"', "ready-http", "contains a space"),
        ('ready-http = "/h\\u0000"', "ready-http", "contains '\\x00'"),
        ('headers = { "X-A:B" = "1" }', "headers", "name 'X-A:B' is not an HTTP header name"),
        ('headers = { "X A" = "1" }', "headers", "is not an HTTP header name"),
        ('headers = { "X-A" = "1\\u0000" }', "headers", "contains '\\x00'"),
        ('headers = { "X-A" = "1\\r\\nX-B: 2" }', "headers", "one-line strings"),
        ('ready-log = "(a)\\\\1"', "ready-log", "RE2"),
        ('ready-log = "(?=ready)"', "ready-log", "RE2"),
    ],
)
def test_values_that_cannot_go_on_the_wire_are_refused_at_load(make_project, line: str, key: str, says: str):
    root = make_project({"pyproject.toml": BASE + line + "\n", "Dockerfile": "FROM a\n", "serve.py": ""})
    with pytest.raises(ConfigError) as exc:
        load_spec(None, root)
    assert exc.value.line == 7 and f"serve.{key}" in exc.value.message, exc.value.message
    assert says in exc.value.message


def test_good_values_load(make_project):
    good = 'path = "/v1/predict?x=1&y=%20"\nready-http = "/health"\nheaders = { "Content-Type" = "a/b; q=1" }\n'
    root = make_project({"pyproject.toml": BASE + good, "Dockerfile": "FROM a\n", "serve.py": ""})
    serve = load_spec(None, root).serve
    assert serve is not None and serve.path == "/v1/predict?x=1&y=%20" and serve.ready_http == "/health"
    root = make_project({"pyproject.toml": BASE + 'ready-log = "^(a+)+$"\n', "Dockerfile": "FROM a\n"})
    assert load_spec(None, root).serve.ready_log == "^(a+)+$"  # type: ignore[union-attr]


def test_the_cli_says_file_and_line_and_exits_2(make_project):
    root = make_project({"pyproject.toml": BASE + 'path = "/a b"\n', "Dockerfile": "FROM a\n", "serve.py": ""})
    r = run_cli("smoke", "--progress", "quiet", cwd=root)
    assert r.code == 2
    assert "pyproject.toml:7: error:" in r.err and "Traceback" not in r.err
