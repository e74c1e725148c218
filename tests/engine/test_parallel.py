"""Linting a big tree on several processes gives the report of the sequential run, byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

from reprocheck.engine.discover import discover
from reprocheck.engine.parallel import MIN_DOCKERFILES, workers_for
from tests.conftest import ROOT, run_cli

FIXTURES = ROOT / "fixtures"
PIP = "FROM python:3.11\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"


def _report(cwd: Path, workers: str | None, *paths: str) -> str:
    env = {"REPROCHECK_WORKERS": workers} if workers else {}
    r = run_cli("lint", "--isolated", "--format", "json", *paths, cwd=cwd, env=env)
    assert r.code in (0, 1), r.err
    return r.out


def _tree(root: Path) -> Path:
    """~100 projects: every fixture project several times, plus files several Dockerfiles share."""
    projects = sorted(p for p in (FIXTURES / "good").iterdir() if p.is_dir()) + sorted(
        p for p in (FIXTURES / "bad").iterdir() if p.is_dir()
    )
    for copy in range(5):
        for project in projects:
            shutil.copytree(project, root / f"c{copy}" / project.name)
    # One requirements file read by two Dockerfiles of the same directory, as a conda file by the first
    # (it sorts before requirements.txt) and as a pip file by the other: who loads it first decides.
    shared = root / "shared"
    shared.mkdir()
    (shared / "requirements.txt").write_text("numpy==1.26.4\npandas>=2\n")
    (shared / "a.dockerfile").write_text(
        "FROM python:3.11\nCOPY requirements.txt .\nRUN mamba install --yes --file requirements.txt\n"
    )
    (shared / "b.dockerfile").write_text(
        "FROM python:3.11\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    )
    # A requirements file in a parent directory, met first as a discovered file, then through a Dockerfile.
    (root / "c4" / "requirements.txt").write_text("requests\n")
    (root / "c4" / "zz").mkdir()
    (root / "c4" / "zz" / "Dockerfile").write_text(
        "FROM python:3.11\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    )
    return root


def test_big_tree_report_is_the_same_on_one_or_several_processes(tmp_path):
    root = _tree(tmp_path)
    assert sum(1 for _ in root.rglob("*ockerfile")) >= MIN_DOCKERFILES  # the automatic choice is a pool
    sequential = _report(root, "1", ".")
    assert '"findings": [' in sequential and "shared/b.dockerfile" in sequential
    assert _report(root, "2", ".") == sequential
    assert _report(root, "3", ".") == sequential
    assert _report(root, None, ".") == sequential  # the automatic choice


def test_fixtures_report_is_the_same_on_one_or_several_processes():
    assert _report(ROOT, "2", "fixtures/good", "fixtures/bad") == _report(ROOT, "1", "fixtures/good", "fixtures/bad")


def test_a_pool_only_for_many_dockerfiles(tmp_path, monkeypatch):
    monkeypatch.delenv("REPROCHECK_WORKERS", raising=False)
    monkeypatch.chdir(tmp_path)
    for k in range(MIN_DOCKERFILES - 1):
        (tmp_path / f"{k}.dockerfile").write_text("FROM scratch\n")
    few = discover(["."])
    assert workers_for(few, None) == 1
    (tmp_path / "last.dockerfile").write_text("FROM scratch\n")
    many = discover(["."])
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    assert workers_for(many, None) == 2
    assert workers_for(many, b"FROM scratch\n") == 1  # standard input: one process
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: {0}, raising=False)
    assert workers_for(many, None) == 1
    monkeypatch.setenv("REPROCHECK_WORKERS", "1")
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    assert workers_for(many, None) == 1


def test_unreadable_and_broken_files_are_reported_alike(tmp_path):
    for k in range(8):
        (tmp_path / f"{k}.dockerfile").write_text("FROM python\nRUN pip install numpy\n" if k % 2 else "FROM\n")
    (tmp_path / "dangling.dockerfile").symlink_to(tmp_path / "missing")
    assert _report(tmp_path, "2", ".") == _report(tmp_path, "1", ".")


def test_a_file_another_slice_loaded_first_is_linted_again_in_order(tmp_path, monkeypatch):
    """One file per slice: the worker of b.dockerfile parses requirements.txt as pip's, the sequential run
    as conda's (a.dockerfile loads it first); the parent must notice and lint b.dockerfile again."""
    from reprocheck.engine import parallel
    from reprocheck.engine.run import LintOptions, lint_paths
    from reprocheck.report import renderer

    _tree(tmp_path)
    monkeypatch.chdir(tmp_path / "shared")
    monkeypatch.setenv("REPROCHECK_WORKERS", "1")
    options = LintOptions(isolated=True)
    sequential = renderer("json")(lint_paths(["."], options))
    relinted: list[int] = []

    def consistent(result, i, loaded):
        ok = original(result, i, loaded)
        if not ok:
            relinted.append(i)
        return ok

    original = parallel._consistent
    monkeypatch.setattr(parallel, "_consistent", consistent)
    monkeypatch.setattr(parallel, "_slices", lambda indices, workers: [[i] for i in indices])
    monkeypatch.setenv("REPROCHECK_WORKERS", "2")
    assert renderer("json")(lint_paths(["."], options)) == sequential
    assert relinted  # the case was met, not avoided
