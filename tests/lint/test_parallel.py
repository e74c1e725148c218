"""Linting a big tree on several processes gives the report of the sequential run, byte for byte."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from reprocheck.lint.discover import discover
from reprocheck.lint.parallel import MIN_DOCKERFILES, workers_for
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


def _split_after_first_chunk(monkeypatch: pytest.MonkeyPatch, parallel: Any) -> list[int]:
    """One target per chunk; this process lints the first one only, the worker all the others (from the
    back). Returns the list the indices of the targets linted again here will be added to."""
    parent = os.getpid()
    claimed: list[int] = []
    original_claim, original_enter = parallel._claim, parallel._enter

    def claim(token: tuple[int, int], front: bool, alive: Any) -> int | None:
        if front and os.getpid() == parent and claimed:
            return None
        k: int | None = original_claim(token, front, alive)
        if front and k is not None:
            claimed.append(k)
        return k

    relinted: list[int] = []

    def enter(loader: Any, linted: Any, parsed: Any) -> Any:
        entered = original_enter(loader, linted, parsed)
        if entered is None:
            relinted.append(linted.at)
        return entered

    monkeypatch.setattr(parallel, "CHUNK", 1)
    monkeypatch.setattr(parallel, "_claim", claim)
    monkeypatch.setattr(parallel, "_enter", enter)
    return relinted


def _in_process(paths: list[str], workers: str, monkeypatch: pytest.MonkeyPatch) -> str:
    from reprocheck.lint.run import LintOptions, lint_paths
    from reprocheck.report import renderer

    monkeypatch.setenv("REPROCHECK_WORKERS", workers)
    return renderer("json")(lint_paths(paths, LintOptions(isolated=True)))


def test_a_file_the_worker_parsed_otherwise_is_linted_again_in_order(tmp_path, monkeypatch):
    """This process lints a.dockerfile, which loads requirements.txt as conda's; the worker meets the file
    first as a file named on the command line (pip's): its targets that use it are linted again here."""
    from reprocheck.lint import parallel

    _tree(tmp_path)
    monkeypatch.chdir(tmp_path / "shared")
    sequential = _in_process(["."], "1", monkeypatch)
    relinted = _split_after_first_chunk(monkeypatch, parallel)
    assert _in_process(["."], "2", monkeypatch) == sequential
    assert relinted == [1, 2]  # b.dockerfile and requirements.txt: the case was met, not avoided


def test_a_file_refused_under_one_tree_and_read_under_another(tmp_path, monkeypatch):
    """a/requirements.txt links to shared/reqs.txt: a/Dockerfile's build context refuses the link, the
    tree linted reads it. The worker (which meets the files in another order) gave a/Dockerfile the file
    from its cache: the sequential run would not have, so a/Dockerfile is linted again here."""
    from reprocheck.lint import parallel

    (tmp_path / "0").mkdir()
    (tmp_path / "0" / "Dockerfile").write_text("FROM python:3.11\n")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "Dockerfile").write_text(PIP)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "reqs.txt").write_text("numpy>=1\n")
    (tmp_path / "a" / "requirements.txt").symlink_to(tmp_path / "shared" / "reqs.txt")
    monkeypatch.chdir(tmp_path)
    sequential = _in_process(["."], "1", monkeypatch)
    assert "a link to a file outside the linted directory" in sequential
    relinted = _split_after_first_chunk(monkeypatch, parallel)
    assert _in_process(["."], "2", monkeypatch) == sequential
    assert 1 in relinted


def test_targets_of_a_worker_that_dies_are_linted_here(tmp_path, monkeypatch):
    from reprocheck.lint import parallel

    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    sequential = _in_process(["."], "1", monkeypatch)
    original_claim = parallel._claim

    def claim(token: tuple[int, int], front: bool, alive: Any) -> int | None:
        k: int | None = original_claim(token, front, alive)
        if not front and k is not None and k % 3 == 0:
            os._exit(1)  # a worker killed in the middle of its work, its last chunk unsent
        return k

    monkeypatch.setattr(parallel, "_claim", claim)
    assert _in_process(["."], "3", monkeypatch) == sequential


def test_a_tree_given_by_absolute_path_names_each_file_once(tmp_path):
    """Dependency files are named as discovery names them, whoever loads them first: one name per file
    (not also ``../..``-relative), so the report does not depend on who loads a file first."""
    project = tmp_path / "tree" / "app"
    project.mkdir(parents=True)
    (project / "Dockerfile").write_text(PIP)
    (project / "requirements.txt").write_text("numpy>=1\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    given = str(tmp_path / "tree")
    report = json.loads(_report(elsewhere, "1", given))
    assert sorted(report["files"]) == [f"{given}/app/Dockerfile", f"{given}/app/requirements.txt"]
    assert {f["path"] for f in report["findings"]} <= set(report["files"])
    assert any(f["path"] == f"{given}/app/requirements.txt" for f in report["findings"])
    relative = json.loads(_report(tmp_path, "1", "tree"))
    strip = [(f["rule"], f["path"].removeprefix(given), f["line"]) for f in report["findings"]]
    assert strip == [(f["rule"], f["path"].removeprefix("tree"), f["line"]) for f in relative["findings"]]


def test_a_worker_killed_holding_the_token_leaves_its_work_here(tmp_path, monkeypatch):
    """The token never comes back: the parent notices the dead worker, stops the others, lints the rest."""
    from reprocheck.lint import parallel

    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    sequential = _in_process(["."], "1", monkeypatch)
    original_claim = parallel._claim

    def claim(token: tuple[int, int], front: bool, alive: Any) -> int | None:
        if not front:
            os.read(token[0], 8)  # takes the token...
            os._exit(1)  # ...and dies with it
        k: int | None = original_claim(token, front, alive)
        return k

    monkeypatch.setattr(parallel, "_claim", claim)
    assert _in_process(["."], "3", monkeypatch) == sequential
