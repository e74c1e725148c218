""".dockerignore with Docker's semantics, in time linear in the path; malformed patterns are the error docker
reports, at their line. (test_project.py has the first table; tests/backend/test_dockerignore_engine.py checks
these against a real build.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reprocheck.errors import ConfigError
from reprocheck.lint.dockerignore import DockerIgnore, parse_dockerignore
from tests.conftest import run_cli

REDOS = "**/" * 12 + "x"


@pytest.mark.parametrize(
    ("patterns", "path", "excluded"),
    [
        ("**/x", "a/b/x/c", True),  # a directory named x anywhere, and what is under it
        ("**/x", "a/b/xy", False),
        ("**", "anything/at/all", True),
        ("a/**", "a/b/c", True),
        ("a/**", "ab", False),
        ("a/**/b", "a/b", True),
        ("a/**/b", "a/x/y/b", True),
        ("[^a].txt", "b.txt", True),  # ^ negates, as in Go's filepath.Match
        ("[^a].txt", "a.txt", False),
        ("[!a].txt", "!.txt", True),  # ! does not: docker's regexp reads it as a character
        ("[!a].txt", "b.txt", False),
        ("b\\[1\\].txt", "b[1].txt", True),  # a backslash escapes
        ("a\\*b", "a*b", True),
        ("a\\*b", "axb", False),
        ("*", "a/b", True),  # the parent a matches
        ("?", "ab", False),
        ("m\n!m/keep.bin", "m/drop.bin", True),
        ("m\n!m/keep.bin", "m/keep.bin", False),
        (REDOS, "a/" * 200 + "y", False),
        (REDOS, "a/" * 200 + "x", True),
    ],
)
def test_docker_semantics(patterns: str, path: str, excluded: bool):
    ignore = DockerIgnore(parse_dockerignore(patterns))
    assert (ignore.excluded_by(path) is not None) is excluded


@pytest.mark.parametrize("bad", ["[z-a]", "[]", "[^]", "a[", "[-a]", "[a-]", "x\\"])
def test_a_pattern_docker_refuses_is_file_and_line(tmp_path: Path, bad: str):
    (tmp_path / ".dockerignore").write_text(f"# comment\n*.pyc\n{bad}\n")
    with pytest.raises(ConfigError) as exc:
        DockerIgnore.for_context(tmp_path, tmp_path / "Dockerfile")
    assert exc.value.line == 3 and str(exc.value.path).endswith(".dockerignore")
    assert "syntax error in pattern" in exc.value.message and bad in exc.value.message


def test_lint_reports_it_as_a_parse_error_at_its_line_and_smoke_as_file_line(make_project):
    root = make_project(
        {
            "Dockerfile": "FROM scratch\nCOPY . /\n",
            ".dockerignore": "*.pyc\n[]\n",
            "pyproject.toml": '[tool.reprocheck.smoke]\ncommand = ["true"]\ngolden = "g.json"\n',
            "g.json": "{}",
        }
    )
    r = run_cli("lint", "--format", "json", ".", cwd=root)
    found = [f for f in r.json()["findings"] if f["rule"] == "RC900"]
    assert [(f["path"], f["line"]) for f in found] == [(".dockerignore", 2)], r.out
    assert "internal error" not in r.out
    r = run_cli("smoke", "--progress", "quiet", cwd=root)
    assert r.code == 2 and ".dockerignore:2: error: syntax error in pattern `[]`" in r.err, r.err
    assert "Traceback" not in r.err


def test_the_redos_dockerignore_does_not_hang_the_context_walk(tmp_path: Path):
    """`**/` twelve times then `x`, over a deep tree: as a backtracking regex this took minutes per path."""
    deep = tmp_path.joinpath(*["a"] * 40)
    deep.mkdir(parents=True)
    for i in range(30):
        (deep / f"f{i}").write_text("")
    (deep / "x").write_text("")
    (tmp_path / ".dockerignore").write_text(REDOS + "\n")
    code = (
        "import sys; from pathlib import Path\n"
        "from reprocheck.backend.inputs import context_files\n"
        "from reprocheck.lint.dockerignore import DockerIgnore\n"
        "root = Path(sys.argv[1])\n"
        "files = [rel for rel, _ in context_files(root, DockerIgnore.for_context(root, root / 'Dockerfile'))]\n"
        "assert not any(f.endswith('/x') for f in files) and sum(f.endswith('f0') for f in files) == 1, files\n"
        "print(len(files))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "31"  # 30 files and the .dockerignore; x excluded
