"""Every parser, on generated input: no exception escapes but the documented ones, and every line it
reports (entries, issues) is a line of the input."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reprocheck.model.deps import DependencyFile, DepKind
from reprocheck.parsing.depfiles import parse_dependency_file
from reprocheck.parsing.dockerfile import parse_dockerfile
from reprocheck.parsing.shell import ShellSyntaxError, cook, docker_words, expand_vars, parse_script, tokenize
from tests.fuzz import strategies as s
from tests.fuzz.strategies import FUZZ


def line_count(text: str) -> int:
    return text.count("\n") + 1


def assert_lines(f: DependencyFile, text: str) -> None:
    last = line_count(text)
    lines = [d.line for d in f.dependencies] + [p.line for p in f.locked] + [o.line for o in f.options]
    lines += [i.line for i in f.issues] + [n for n, _ in f.includes] + [n for n, _ in f.constraints]
    lines += [f.python_line, f.content_hash_line]
    assert all(isinstance(n, int) and 1 <= n <= last for n in lines), (lines, last)
    assert all(i.message for i in f.issues)


def check_dep(text: str, kind: DepKind, name: str) -> None:
    for data in (text.encode("utf-8"), text.encode("utf-8")[: len(text) // 2] + b"\xff\xfe"):
        f = parse_dependency_file(data, name, kind)
        assert f.kind in (kind, DepKind.CONDA_ENV, DepKind.CONDA_LOCK)
        assert_lines(f, data.decode("utf-8", errors="replace"))


@FUZZ
@given(s.dockerfile())
def test_dockerfile_parser(text: str):
    df = parse_dockerfile(text, "Dockerfile")
    last = max(df.line_count, 1)
    for ins in df.instructions:
        assert 1 <= ins.line <= ins.end_line <= last, (ins.line, ins.end_line, last)
    assert all(1 <= i.line <= last for i in df.issues)
    assert all(1 <= c.line <= last for c in df.comments)
    for ins in df.instructions:
        for cmd in getattr(ins, "commands", ()):
            assert cmd.line == ins.line


@FUZZ
@given(st.text(max_size=300))
def test_dockerfile_parser_on_noise(text: str):
    df = parse_dockerfile(text.encode("utf-8", errors="surrogatepass"), "Dockerfile")
    assert all(1 <= i.line <= max(df.line_count, 1) for i in df.issues)


@FUZZ
@given(s.SHELL_SCRIPT, st.dictionaries(s.NAMES, s.WORD, max_size=3))
def test_shell_parser(script: str, env: dict[str, str]):
    try:
        tokenize(script)
        commands = parse_script(script, env, 3, 0)
    except ShellSyntaxError:
        return
    assert all(c.line == 3 for c in commands)
    for word in script.split():
        cook(word, env)
        expand_vars(word, env)
    docker_words(script)


@FUZZ
@given(s.requirements())
def test_requirements_parser(text: str):
    check_dep(text, DepKind.REQUIREMENTS, "requirements.txt")
    check_dep(text, DepKind.REQUIREMENTS_IN, "requirements.in")


@FUZZ
@given(s.pyproject())
def test_pyproject_parser(text: str):
    check_dep(text, DepKind.PYPROJECT, "pyproject.toml")


@FUZZ
@given(s.uv_lock())
def test_uv_lock_parser(text: str):
    check_dep(text, DepKind.UV_LOCK, "uv.lock")


@FUZZ
@given(s.poetry_lock())
def test_poetry_lock_parser(text: str):
    check_dep(text, DepKind.POETRY_LOCK, "poetry.lock")


@FUZZ
@given(s.pipfile())
def test_pipfile_parser(text: str):
    check_dep(text, DepKind.PIPFILE, "Pipfile")


@FUZZ
@given(s.pipfile_lock())
def test_pipfile_lock_parser(text: str):
    check_dep(text, DepKind.PIPFILE_LOCK, "Pipfile.lock")


@FUZZ
@given(s.conda_env())
def test_conda_env_parser(text: str):
    check_dep(text, DepKind.CONDA_ENV, "environment.yml")
    check_dep(text, DepKind.CONDA_LOCK, "conda-lock.yml")


@FUZZ
@given(s.conda_explicit())
def test_conda_explicit_parser(text: str):
    check_dep(text, DepKind.CONDA_LOCK, "conda-linux-64.lock")
    check_dep(text, DepKind.CONDA_ENV, "specs.txt")


@FUZZ
@given(st.text(max_size=200), st.sampled_from(list(DepKind)))
def test_every_dependency_parser_on_noise(text: str, kind: DepKind):
    check_dep(text, kind, "file")
