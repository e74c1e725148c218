"""reprocheck audit, lint half: every project under the folders, one row each, in every format."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from reprocheck.audit import find_projects, lint_all, pin_counts
from reprocheck.lint.discover import FileKind, kind_of
from reprocheck.lint.project import DepLoader, build_project
from reprocheck.parsing.dockerfile import parse_dockerfile
from tests.conftest import CORPUS_SAMPLE, corpus_or_skip, run_cli


def _project(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    root = tmp_path / name
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture
def two_projects(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _project(
        tmp_path,
        "clean",
        {
            "Dockerfile": (
                "FROM python:3.11@sha256:" + "a" * 64 + "\nCOPY requirements.txt .\n"
                "RUN pip install --require-hashes -r requirements.txt\nUSER 1\n"
            ),
            "requirements.txt": "numpy==1.26.4 \\\n    --hash=sha256:" + "b" * 64 + "\n",
        },
    )
    _project(
        tmp_path,
        "loose",
        {"Dockerfile": "FROM python:3.11\nRUN pip install numpy pandas==2.2.2 && apt-get install -y curl\n"},
    )
    return tmp_path


def test_rows_count_findings_and_pinned_installs(two_projects):
    rows = list(lint_all(find_projects(["."]), workers=1))
    assert [(r.project, r.verdict) for r in rows] == [("clean/Dockerfile", "pass"), ("loose/Dockerfile", "fail")]
    clean, loose = rows
    assert (clean.installs, clean.pinned, clean.errors + clean.warnings) == (2, 2, 0)  # its image and its lock
    assert (loose.installs, loose.pinned) == (4, 1)  # python:3.11, numpy and curl unpinned, pandas pinned
    assert loose.rules["RC301"] == 1 and loose.rules["RC201"] == 1


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_formats(two_projects, fmt):
    r = run_cli("audit", ".", "--format", fmt, "--workers", "2", cwd=two_projects)
    assert r.code == 1  # one project does not pass
    if fmt == "json":
        data = json.loads(r.out)
        assert data["summary"]["projects"] == 2 and data["summary"]["failed"] == 1
        loose = data["projects"][1]
        assert loose["project"] == "loose/Dockerfile" and loose["pinned_share"] == pytest.approx(1 / 4, abs=1e-3)
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(r.out)))
        assert [row["verdict"] for row in rows] == ["pass", "fail"]
        assert rows[1]["installs"] == "4" and rows[1]["pinned"] == "1"
    elif fmt == "markdown":
        assert r.out.startswith("| project | context |") and "| loose/Dockerfile |" in r.out
    else:
        assert "25% (1/4)" in r.out and "2 projects, 1 not passing" in r.out


def test_usage_errors(tmp_path):
    empty = run_cli("audit", str(tmp_path))
    assert empty.code == 2 and "no Dockerfile under" in empty.err
    assert run_cli("audit", str(tmp_path), "--format", "xml").code == 2


@pytest.mark.parametrize("where", ["sample", "shared"])
def test_corpus_gives_a_row_for_every_project_and_no_crash(where: str):
    corpus = CORPUS_SAMPLE if where == "sample" else corpus_or_skip()
    expected = sorted(
        str(p.relative_to(corpus.parent))
        for p in corpus.rglob("*")
        if p.is_file() and (k := kind_of(p.name)) is not None and k[0] is FileKind.DOCKERFILE
    )
    r = run_cli("audit", corpus.name, "--format", "json", "--workers", "2", cwd=corpus.parent)
    data = json.loads(r.out)
    assert sorted(p["project"] for p in data["projects"]) == expected
    assert data["summary"]["errors"] == 0 and "Traceback" not in r.err
    single = json.loads(run_cli("audit", corpus.name, "--format", "json", "--workers", "1", cwd=corpus.parent).out)
    assert single["projects"] == data["projects"]  # parallel workers change the time, not the result


def test_pin_counts_follow_the_lock(tmp_path):
    root = _project(
        tmp_path,
        "p",
        {
            "Dockerfile": "FROM python:3.12\nCOPY pyproject.toml uv.lock ./\nRUN uv sync --frozen\n",
            "pyproject.toml": '[project]\nname = "p"\nversion = "0"\ndependencies = ["numpy"]\n',
            "uv.lock": 'version = 1\n[[package]]\nname = "numpy"\nversion = "1.26.4"\nsource = { registry = "x" }\n',
        },
    )
    df = parse_dockerfile((root / "Dockerfile").read_bytes(), "Dockerfile")
    project = build_project(df, root / "Dockerfile", DepLoader())
    assert pin_counts(project) == (2, 1)  # python:3.12 by tag only; numpy in the lock


def test_audit_takes_the_same_selection_and_config_options_as_the_other_commands(tmp_path: Path):
    from tests.conftest import run_cli

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "Dockerfile").write_text("FROM python:3.11\nRUN pip install numpy\n")
    (tmp_path / "a" / "pyproject.toml").write_text('[tool.reprocheck]\nignore = ["RC1"]\n')
    (tmp_path / "strict.toml").write_text("select = ['RC3']\n")

    def rules(*args: str) -> set[str]:
        r = run_cli("audit", ".", "--workers", "1", "--format", "json", *args, cwd=tmp_path)
        assert r.code in (0, 1), r.err
        return set(r.json()["projects"][0]["rules"])

    own = rules()
    assert own and not any(r.startswith("RC1") for r in own)  # the project's own configuration
    assert any(r.startswith("RC1") for r in rules("--isolated"))
    assert rules("--config", "strict.toml") == {r for r in rules("--isolated") if r.startswith("RC3")}
    assert not any(r.startswith("RC3") for r in rules("--ignore", "RC3"))
    missing = run_cli("audit", ".", "--config", "nope.toml", cwd=tmp_path)
    assert missing.code == 2 and "nope.toml" in missing.err


def test_the_summary_counts_in_the_singular_too(tmp_path: Path):
    from tests.conftest import run_cli

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "Dockerfile").write_text("FROM scratch\n")
    r = run_cli("audit", ".", "--workers", "1", cwd=tmp_path)
    assert "1 project, " in r.out and "1 projects" not in r.out, r.out
