"""The lock and source parsers, on files the real tools wrote (fixtures/) and on broken input."""

from __future__ import annotations

import pytest

from reprocheck.model.deps import DepKind
from reprocheck.parsing.depfiles import dep_kind_of, guess_kind, parse_dependency_file
from reprocheck.parsing.pyproject import poetry_constraint
from tests.conftest import ROOT

FIX = ROOT / "fixtures"


def load(rel: str):
    path = FIX / rel
    kind = dep_kind_of(path.name)
    assert kind is not None
    return parse_dependency_file(path.read_bytes(), rel, kind)


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("requirements.txt", DepKind.REQUIREMENTS),
        ("requirements-dev.txt", DepKind.REQUIREMENTS),
        ("dev-requirements.txt", DepKind.REQUIREMENTS),
        ("constraints.txt", DepKind.REQUIREMENTS),
        ("requirements/prod.txt", DepKind.REQUIREMENTS),
        ("requirements/dev.in", DepKind.REQUIREMENTS_IN),
        ("requirements.in", DepKind.REQUIREMENTS_IN),
        ("pyproject.toml", DepKind.PYPROJECT),
        ("uv.lock", DepKind.UV_LOCK),
        ("poetry.lock", DepKind.POETRY_LOCK),
        ("Pipfile", DepKind.PIPFILE),
        ("Pipfile.lock", DepKind.PIPFILE_LOCK),
        ("environment.yml", DepKind.CONDA_ENV),
        ("environment-gpu.yaml", DepKind.CONDA_ENV),
        ("conda-lock.yml", DepKind.CONDA_LOCK),
        ("conda-linux-64.lock", DepKind.CONDA_LOCK),
        ("notes.txt", None),
        ("setup.cfg", None),
    ],
)
def test_kinds_by_name(path: str, kind):
    assert dep_kind_of(path) is kind


def test_guess_kind_for_files_a_dockerfile_names():
    assert guess_kind("deps.lst") is DepKind.REQUIREMENTS
    assert guess_kind("env.yaml") is DepKind.CONDA_ENV
    assert guess_kind("base.in") is DepKind.REQUIREMENTS_IN


def test_uv_lock_from_uv():
    f = load("good/uv-app/uv.lock")
    names = {p.name: p for p in f.locked}
    assert set(names) == {"idna", "packaging", "six", "uv-app"}
    assert names["six"].version == "1.16.0" and names["six"].files[0].filename == "six-1.16.0-py2.py3-none-any.whl"
    assert names["uv-app"].source == "virtual"
    text = (FIX / "good/uv-app/uv.lock").read_text().splitlines()
    assert text[names["six"].line - 1] == "[[package]]" and text[names["six"].line] == 'name = "six"'
    assert f.python == ">=3.10"
    manifest = {(d.name, d.group, d.specifier) for d in f.dependencies}
    assert manifest == {("six", "", ">=1.16"), ("idna", "", ">=3.7"), ("packaging", "dev", ">=24")}


def test_poetry_lock_from_poetry():
    f = load("good/poetry-app/poetry.lock")
    assert [(p.name, p.version, p.groups) for p in f.locked] == [
        ("idna", "3.7", ("main",)),
        ("six", "1.16.0", ("main",)),
    ]
    assert f.content_hash and len(f.content_hash) == 64
    assert f.generator == "Poetry 2.5.1"
    lines = (FIX / "good/poetry-app/poetry.lock").read_text().splitlines()
    assert lines[f.content_hash_line - 1].startswith("content-hash")


def test_pipfile_and_lock_from_pipenv():
    src = load("good/pipenv-app/Pipfile")
    assert [(d.name, d.specifier, d.line) for d in src.dependencies] == [("six", "==1.16.0", 7), ("idna", "", 8)]
    assert src.python == "3.11"
    lock = load("good/pipenv-app/Pipfile.lock")
    assert {p.name for p in lock.locked} == {"six", "idna"}
    assert all(p.hashes for p in lock.locked)
    assert lock.python == "3.11" and lock.content_hash


def test_pyproject_poetry_and_pep621():
    f = load("good/poetry-app/pyproject.toml")
    assert [(d.name, d.specifier, d.line) for d in f.dependencies] == [
        ("six", ">=1.16,<2", 10),
        ("idna", ">=3.7,<4", 11),
    ]
    assert f.python == ">=3.10,<4"
    g = load("good/uv-app/pyproject.toml")
    assert [(d.name, d.group, d.line) for d in g.dependencies] == [
        ("six", "", 6),
        ("idna", "", 7),
        ("packaging", "dev", 11),
    ]


@pytest.mark.parametrize(
    ("constraint", "pep440"),
    [
        ("^1.2.3", ">=1.2.3,<2"),
        ("^0.2.3", ">=0.2.3,<0.3"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("~1.2.3", ">=1.2.3,<1.3"),
        ("~1.2", ">=1.2,<1.3"),
        ("1.2.3", "==1.2.3"),
        ("*", ""),
        (">=1.2,<2.0", ">=1.2,<2.0"),
        ("^1.0 || ^2.0", ">=1.0,<2||>=2.0,<3"),
        ("1.2.*", "==1.2.*"),
    ],
)
def test_poetry_constraints(constraint: str, pep440: str):
    assert poetry_constraint(constraint) == pep440


def test_conda_env_and_lines():
    f = load("bad/conda-env-unpinned/environment.yml")
    got = [(d.name, d.manager, d.line, d.spec.pinned) for d in f.dependencies]
    assert got == [
        ("python", "conda", 5, False),
        ("numpy", "conda", 6, False),
        ("scikit-learn", "conda", 7, True),
        ("requests", "pip", 9, False),
    ]
    assert f.channels == ("conda-forge",)
    assert f.python == "3.11"


def test_conda_explicit_and_unified_locks():
    explicit = (
        "# platform: linux-64\n@EXPLICIT\nhttps://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py311h64a7726_0.conda#"
        + "a" * 32
        + "\n"
    )
    f = parse_dependency_file(explicit.encode(), "conda-linux-64.lock", DepKind.CONDA_LOCK)
    assert [(p.name, p.version, p.line, p.platform) for p in f.locked] == [("numpy", "1.26.4", 3, "linux-64")]
    unified = (
        "version: 1\nmetadata:\n  platforms: [linux-64]\npackage:\n"
        "  - name: python\n    version: 3.11.9\n    manager: conda\n    platform: linux-64\n"
        "    url: https://conda.anaconda.org/conda-forge/linux-64/python-3.11.9-hb806964_0_cpython.conda\n"
        "    hash: {md5: " + "b" * 32 + "}\n"
    )
    g = parse_dependency_file(unified.encode(), "conda-lock.yml", DepKind.CONDA_LOCK)
    assert [(p.name, p.version, p.line) for p in g.locked] == [("python", "3.11.9", 5)]
    assert g.python == "3.11.9" and g.platforms == ("linux-64",)


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("pyproject.toml", '[project]\nname = "x"\ndependencies = [\n', 3),
        ("uv.lock", "version = 1\n[[package]\n", 2),
        ("Pipfile.lock", '{\n  "_meta": {\n', 3),
        ("environment.yml", "name: x\ndependencies:\n  - a\n  b\n", 4),
        ("requirements.txt", "six==1\nnot a requirement at all\n", 2),
    ],
)
def test_broken_input_is_an_issue_with_a_line(name: str, text: str, line: int):
    kind = dep_kind_of(name)
    assert kind is not None
    f = parse_dependency_file(text.encode(), name, kind)
    assert f.issues and f.issues[0].line == line, f.issues


def test_not_utf8_is_reported():
    f = parse_dependency_file(b"six==1.16.0\n\xff\xfe\n", "requirements.txt", DepKind.REQUIREMENTS)
    assert f.issues[0].line == 2 and "UTF-8" in f.issues[0].message
