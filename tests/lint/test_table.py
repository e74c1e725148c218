"""One validator for every config table: mistakes at the key's own line, and numbers that are really numbers."""

from __future__ import annotations

import pytest

from reprocheck.errors import ConfigError
from reprocheck.lint.config import parse_config, reprocheck_table
from reprocheck.lint.table import ConfigTable
from reprocheck.rebuild.spec import load_rebuild
from reprocheck.smoke.spec import load_spec
from reprocheck.verify.spec import load_verify

PYPROJECT = """[project]
name = "x"

[tool.reprocheck]
ignore = ["RC101"]

[tool.reprocheck.smoke]
command = ["python", "p.py"]
golden = "g.json"

[tool.reprocheck.verify]
ignore = 5
"""


def test_a_key_is_found_in_its_own_section_not_the_first_in_the_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    with pytest.raises(ConfigError) as exc:
        load_verify(tmp_path / "pyproject.toml")
    assert (exc.value.line, exc.value.message) == (12, "verify.ignore: must be a string or a list of strings")
    assert (
        str(exc.value)
        == f"{tmp_path / 'pyproject.toml'}:12: error: verify.ignore: must be a string or a list of strings"
    )


def test_lines_in_headers_dotted_and_inline_forms():
    text = (
        "[tool.reprocheck]\n"  # 1
        'smoke.timeout = "x"\n'  # 2
        "verify = { online = 1 }\n"  # 3
        "[tool.reprocheck.rebuild]\n"  # 4
        "vary = 2\n"  # 5
        "[tool.reprocheck.smoke.serve]\n"  # 6
        "port = 1\n"  # 7
    )
    assert ConfigTable({}, "p", text, "smoke").line("timeout") == 2
    assert ConfigTable({}, "p", text, "verify").line("online") == 3
    assert ConfigTable({}, "p", text, "rebuild").line("vary") == 5
    assert ConfigTable({}, "p", text, "rebuild").line("network") == 4  # absent: the section's header
    assert ConfigTable({}, "p", text, "smoke.serve").line("port") == 7
    assert ConfigTable({}, "p", text, "smoke").line("serve") == 6
    assert ConfigTable({}, "p", text).line("smoke") == 2
    bare = '[smoke]\ncommand = ["x"]\n[verify]\nlock = 3\n'
    assert ConfigTable({}, "reprocheck.toml", bare, "verify").line("lock") == 4
    assert ConfigTable({}, "reprocheck.toml", "ignore = 3\n[smoke]\nignore = 1\n").line("ignore") == 1


@pytest.mark.parametrize(
    ("line", "key", "message"),
    [
        ("timeout = nan", "timeout", "finite"),
        ("timeout = inf", "timeout", "finite"),
        ("timeout = -inf", "timeout", "finite"),
        ("timeout = 1e9", "timeout", "from 1 to 86400 s"),
        ("timeout = true", "timeout", "must be a number"),
        ("cpus = 1e12", "cpus", "from 0.01 to 1024"),
        ("cpus = nan", "cpus", "finite"),
        ('memory = "1"', "memory", "from 6m to"),
        ('memory = "9000g"', "memory", "to 1024g"),
        ("memory = true", "memory", "must be a size"),
        ("pids = 8.5", "pids", "whole number"),
        ("pids = 1e300", "pids", "whole number"),
        ("pids = 2", "pids", "from 8"),
        ("rtol = nan", "rtol", "finite"),
        ('workdir = "../x"', "workdir", "must not contain `..`"),
        ('workdir = "app"', "workdir", "absolute"),
        ('workdir = "/app/../etc"', "workdir", "`..`"),
        ('inputs = ["/etc/passwd"]', "inputs", "relative"),
        ('inputs = ["a/../../b"]', "inputs", "`..`"),
        ('output = "../out.json"', "output", "`..`"),
        ('user = ""', "user", "empty"),
        ('allow-root = "yes"', "allow-root", "true or false"),
        ('max-output = "10"', "max-output", "from 1k"),
        ("keep-images = 0", "keep-images", "from 1 to 100"),
        ("env = { A = true }", "env", "names to strings"),
        ('env = { "A=B" = "x" }', "env", "not a valid name"),
        ('command = ["py\\u0000thon"]', "command", "non-empty list"),
        ('keys = { "$.a" = { rtol = nan } }', "keys", "finite"),
    ],
)
def test_absurd_values_are_config_errors_at_their_line(make_project, line: str, key: str, message: str):
    head = '[tool.reprocheck.smoke]\ncommand = ["python", "p.py"]\ngolden = "g.json"\n'
    if line.startswith("command"):
        head = '[tool.reprocheck.smoke]\ngolden = "g.json"\n'
    root = make_project({"pyproject.toml": head + line + "\n", "Dockerfile": "FROM a\n"})
    with pytest.raises(ConfigError) as exc:
        load_spec(None, root)
    assert exc.value.message.startswith(f"smoke.{key}: ") and message in exc.value.message, exc.value.message
    assert exc.value.line == head.count("\n") + 1


def test_serve_values_are_checked_at_the_serve_table(make_project):
    head = '[tool.reprocheck.smoke]\ncommand = ["s"]\ngolden = "g.json"\n[tool.reprocheck.smoke.serve]\nport = 80\n'
    root = make_project({"pyproject.toml": head + "ready-timeout = nan\n", "Dockerfile": "FROM a\n"})
    with pytest.raises(ConfigError) as exc:
        load_spec(None, root)
    assert exc.value.line == 6 and exc.value.message.startswith("smoke.serve.ready-timeout: ")


def test_rebuild_and_top_level_tables_use_the_same_lines(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.reprocheck]\nplatform = "linux/amd64"\n[tool.reprocheck.severity]\nRC101 = "loud"\n'
        "[tool.reprocheck.rebuild]\nplatform = 1\nvary = 1\n"
    )
    table, text = reprocheck_table(tmp_path / "pyproject.toml")
    with pytest.raises(ConfigError) as exc:
        parse_config(table, text, "pyproject.toml")
    assert exc.value.line == 4 and exc.value.message.startswith("severity.RC101: ")
    with pytest.raises(ConfigError) as exc:
        load_rebuild(tmp_path / "pyproject.toml")
    assert exc.value.line == 6 and exc.value.message.startswith("rebuild.platform: unknown key")


def test_the_cli_prints_file_line_key(make_project):
    from tests.conftest import run_cli

    root = make_project(
        {"pyproject.toml": '[tool.reprocheck.smoke]\ncommand = ["p"]\ngolden = "g"\ntimeout = nan\n', "Dockerfile": ""}
    )
    r = run_cli("smoke", cwd=root)
    assert r.code == 2 and r.err.strip().endswith(
        "pyproject.toml:4: error: smoke.timeout: must be a finite number from 1 to 86400 s, not nan"
    )
