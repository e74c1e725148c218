"""The run journal and project ids, without an engine: what clean reads after a kill -9."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reprocheck.backend.base import project_id
from reprocheck.backend.journal import Journal, read_runs, runs_dir


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_run_with_nothing_outstanding_leaves_no_file():
    j = Journal("run1", "proj-1")
    j.created("container", "c1")
    assert j.path.is_file() and j.path.parent == runs_dir()
    j.created("image", "i1")
    j.kept("image", "i1")
    assert j.path.is_file()
    j.removed("container", "c1")
    assert not j.path.exists() and read_runs() == []


def test_a_killed_run_is_read_back_as_dead_with_its_leftovers():
    code = (
        "from reprocheck.backend.journal import Journal\n"
        "j = Journal('killed', 'proj-2')\n"
        "for i in ('a', 'b', 'c'):\n    j.created('image', i)\n"
        "j.created('container', 'x')\nj.removed('image', 'b')\n"
        "import os; os._exit(9)\n"
    )
    subprocess.run([sys.executable, "-c", code], env=os.environ, check=False)
    (state,) = read_runs()
    assert (state.run, state.project, state.alive) == ("killed", "proj-2", False)
    assert state.outstanding == {"container": ["x"], "image": ["a", "c"], "network": []}
    mine = Journal("live", "proj-2")
    mine.created("network", "n")
    live = next(s for s in read_runs() if s.run == "live")
    assert live.alive and live.outstanding["network"] == ["n"]


def test_torn_files_are_ignored():
    runs_dir().mkdir(parents=True)
    (runs_dir() / "torn.jsonl").write_text('{"run": "t", "pid": 1\n')
    (runs_dir() / "empty.jsonl").write_text("")
    assert read_runs() == []


def test_project_ids_are_stable_and_distinct(tmp_path: Path):
    a, b = tmp_path / "a" / "app", tmp_path / "b" / "app"
    a.mkdir(parents=True)
    b.mkdir(parents=True)
    os.symlink(a, tmp_path / "link")
    assert project_id(a) == project_id(tmp_path / "link") == project_id(a / ".." / "app")
    assert project_id(a) != project_id(b) and project_id(a).startswith("app-")
    assert project_id(tmp_path / "Weird Name!").startswith("weird-name-")
