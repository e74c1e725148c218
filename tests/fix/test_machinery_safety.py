"""fix writes only regular files inside the project, atomically, and never over a file changed meanwhile."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reprocheck.fix import FixOptions, fix_paths
from reprocheck.lint.run import LintOptions
from tests.conftest import run_cli
from tests.support.pushed import Pushed

pytestmark = [pytest.mark.engine, pytest.mark.registry]


def test_a_file_changed_while_fix_works_is_not_written(pushed: Pushed, tmp_path: Path, monkeypatch):
    from reprocheck.fix.text.edits import apply_edits

    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {pushed.repo}:1.0\nUSER 65534\n")
    real = apply_edits

    def meanwhile(*args, **kwargs):  # another editor saves the file while fix looks up digests
        with dockerfile.open("a") as fh:
            fh.write("LABEL edited=yes\n")
        return real(*args, **kwargs)

    monkeypatch.setattr("reprocheck.fix.machinery.run.apply_edits", meanwhile)
    monkeypatch.chdir(tmp_path)
    result = fix_paths(["."], LintOptions(isolated=True), FixOptions())
    assert result.written == [] and len(result.refused) == 1
    assert "changed on disk since fix read it" in result.refused[0]
    assert dockerfile.read_text() == f"FROM {pushed.repo}:1.0\nUSER 65534\nLABEL edited=yes\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_the_mode_is_kept(pushed: Pushed, tmp_path: Path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {pushed.repo}:1.0\nUSER 65534\n")
    dockerfile.chmod(0o640)
    assert run_cli("fix", "--isolated", ".", cwd=tmp_path).code == 0
    assert pushed.tag_digest in dockerfile.read_text()
    assert dockerfile.stat().st_mode & 0o777 == 0o640


def test_a_symlink_to_a_file_outside_the_project_is_not_written(pushed: Pushed, tmp_path: Path):
    outside = tmp_path / "outside.Dockerfile"
    text = f"FROM {pushed.repo}:1.0\nUSER 65534\n"
    outside.write_text(text)
    project = tmp_path / "p"
    project.mkdir()
    os.symlink(outside, project / "Dockerfile")
    r = run_cli("fix", "--isolated", ".", cwd=project)
    # lint already refuses to read a link leaving the tree, so fix never sees the file to change
    assert r.code == 1 and "fixed 0" in r.err, r.err
    assert "a link to a file outside the linted directory" in r.out, r.out
    assert outside.read_text() == text and (project / "Dockerfile").is_symlink()


def test_standard_input_cannot_be_fixed(tmp_path: Path):
    r = run_cli("fix", "-", cwd=tmp_path, stdin="FROM a:1\n")
    assert r.code == 2 and "standard input" in r.err


def test_a_symlink_inside_the_project_is_left_as_a_link(pushed: Pushed, tmp_path: Path):
    text = f"FROM {pushed.repo}:1.0\nUSER 65534\n"
    (tmp_path / "real.Dockerfile").write_text(text)
    os.symlink("real.Dockerfile", tmp_path / "Dockerfile")
    r = run_cli("fix", "--isolated", "Dockerfile", cwd=tmp_path)
    assert r.code == 1 and "fix edits only regular files" in r.err, r.err
    assert (tmp_path / "Dockerfile").is_symlink() and (tmp_path / "real.Dockerfile").read_text() == text
