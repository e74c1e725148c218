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


GOOD_HEADER = '{"run": "ok1", "project": "p-1", "pid": 4194304, "host": "elsewhere", "engine": "e"}\n'


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("deep", "[" * 100_000 + "]" * 100_000 + "\n", "its first line is not a run's header"),
        ("pid-huge", '{"run": "r", "pid": 1e300}\n', "pid is not a process id (1e+300)"),
        ("pid-inf", '{"run": "r", "pid": Infinity}\n', "pid is not a process id (inf)"),
        ("pid-big", f'{{"run": "r", "pid": {2**70}}}\n', "pid is not a process id"),
        ("pid-zero", '{"run": "r", "pid": 0}\n', "pid is not a process id (0)"),
        ("binary", b"\xff\xfe\x00\x01garbage", "is not text"),
        ("a-list", "[1, 2]\n", "its first line is not a run's header"),
    ],
)
def test_a_file_that_is_not_a_journal_is_skipped_with_one_line(name: str, content: str | bytes, reason: str):
    runs_dir().mkdir(parents=True)
    path = runs_dir() / f"{name}.jsonl"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    (runs_dir() / "ok1.jsonl").write_text(GOOD_HEADER + '{"created": "image", "id": "abc123"}\n')
    warnings: list[str] = []
    runs = read_runs(warn=warnings.append)
    assert [r.run for r in runs] == ["ok1"] and runs[0].outstanding["image"] == ["abc123"]
    assert len(warnings) == 1 and warnings[0].startswith(f"{path}: skipped: ") and reason in warnings[0], warnings
    assert "\n" not in warnings[0]


def test_special_files_and_links_are_never_opened(tmp_path: Path):
    runs_dir().mkdir(parents=True)
    os.mkfifo(runs_dir() / "fifo.jsonl")  # reading it would wait forever for a writer
    outside = tmp_path / "outside.jsonl"
    outside.write_text(GOOD_HEADER)
    os.symlink(outside, runs_dir() / "link.jsonl")
    (runs_dir() / "dir.jsonl").mkdir()
    warnings: list[str] = []
    assert read_runs(warn=warnings.append) == []
    assert sorted(w.rsplit("/", 1)[-1] for w in warnings) == [
        "dir.jsonl: skipped: is not a regular file",
        "fifo.jsonl: skipped: is not a regular file",
        "link.jsonl: skipped: cannot be opened (a symbolic link)",
    ]


def test_lines_that_a_run_does_not_write_are_skipped_and_counted():
    runs_dir().mkdir(parents=True)
    path = runs_dir() / "ok1.jsonl"
    bad = [
        '{"created": "image", "id": "../../v1.40/x"}',
        '[[[[["deep"]]]]]',
        '{"created": "volume", "id": "v"}',
        "\xff",
    ]
    path.write_text(GOOD_HEADER + '{"created": "container", "id": "c0ffee"}\n' + "\n".join(bad) + "\n")
    warnings: list[str] = []
    (run,) = read_runs(warn=warnings.append)
    assert run.outstanding == {"container": ["c0ffee"], "image": [], "network": []}
    assert warnings == [f"{path}: 4 lines skipped: not what a run writes"]


@pytest.mark.engine
def test_clean_goes_through_a_hostile_runs_directory(cache: Path, tmp_path: Path):
    from tests.conftest import run_cli
    from tests.support.engine import engine_or_skip

    engine_or_skip()
    runs_dir().mkdir(parents=True)
    os.mkfifo(runs_dir() / "fifo.jsonl")
    (runs_dir() / "deep.jsonl").write_text("{" * 50_000 + "\n")
    (runs_dir() / "inf.jsonl").write_text('{"run": "r", "pid": Infinity}\n')
    (runs_dir() / "big.jsonl").write_text(f'{{"run": "r", "pid": {2**70}}}\n')
    project = tmp_path / "proj"
    project.mkdir()
    r = run_cli("clean", str(project), env={"XDG_CACHE_HOME": str(cache)})  # run_cli's timeout catches a hang
    assert r.code == 0, r.err
    assert "removed 0 containers" in r.out
    assert len([line for line in r.err.splitlines() if line.startswith("warning: ")]) == 4, r.err
