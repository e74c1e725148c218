"""Configuration is found from each linted file upwards (as ruff does), not from the working directory: the
same paths give the same findings from anywhere; ``--config`` and ``--isolated`` still win."""

from __future__ import annotations

from pathlib import Path

from reprocheck.lint.config import find_config
from tests.conftest import run_cli

UNPINNED = "FROM python:3.11\nRUN pip install numpy\n"  # RC102 (no digest), RC301 (unpinned pip install)


def _rules(result) -> set[tuple[str, str, int]]:
    return {(Path(f["path"]).name, f["rule"], f["line"]) for f in result.json()["findings"]}


def _tree(make_project, tmp_path: Path) -> Path:
    """repo/ (a git root) with svc/ ignoring RC102, and svc/nested/ ignoring RC301 only."""
    root = tmp_path / "repo"
    make_project(
        {
            ".git/HEAD": "ref: refs/heads/main\n",
            "pyproject.toml": '[tool.reprocheck]\nignore = ["RC301"]\n',  # the working directory's: not svc's
            "svc/pyproject.toml": '[project]\nname = "svc"\n[tool.reprocheck]\nignore = ["RC102"]\n',
            "svc/Dockerfile": UNPINNED,
            "svc/nested/.reprocheck.toml": 'ignore = ["RC301"]\n',
            "svc/nested/Dockerfile": UNPINNED,
            "elsewhere/notes.txt": "",
        },
        root,
    )
    return root


def test_lint_dir_from_another_folder_honours_the_dirs_config(make_project, tmp_path: Path):
    root = _tree(make_project, tmp_path)
    from_elsewhere = run_cli("lint", "--format", "json", str(root / "svc" / "Dockerfile"), cwd=root / "elsewhere")
    from_inside = run_cli("lint", "--format", "json", "Dockerfile", cwd=root / "svc")
    assert _rules(from_elsewhere) == _rules(from_inside) == {("Dockerfile", "RC301", 2)}


def test_each_file_is_judged_by_its_nearest_config(make_project, tmp_path: Path):
    root = _tree(make_project, tmp_path)
    r = run_cli("lint", "--format", "json", "svc", cwd=root)
    found = {(f["path"], f["rule"]) for f in r.json()["findings"]}
    assert found == {("svc/Dockerfile", "RC301"), ("svc/nested/Dockerfile", "RC102")}
    same = run_cli("lint", "--format", "json", ".", cwd=root / "svc")
    assert {(f["path"], f["rule"]) for f in same.json()["findings"]} == {
        ("Dockerfile", "RC301"),
        ("nested/Dockerfile", "RC102"),
    }


def test_config_and_isolated_still_win(make_project, tmp_path: Path):
    root = _tree(make_project, tmp_path)
    (root / "elsewhere" / "strict.toml").write_text('ignore = ["RC3"]\n')
    given = run_cli("lint", "--format", "json", "--config", "strict.toml", str(root / "svc"), cwd=root / "elsewhere")
    assert {(f["path"].rsplit("svc/", 1)[1], f["rule"]) for f in given.json()["findings"]} == {
        ("Dockerfile", "RC102"),
        ("nested/Dockerfile", "RC102"),
    }
    isolated = run_cli("lint", "--format", "json", "--isolated", "Dockerfile", cwd=root / "svc")
    assert {f["rule"] for f in isolated.json()["findings"]} == {"RC102", "RC301"}


def test_stdin_uses_the_config_of_its_stdin_filename(make_project, tmp_path: Path):
    root = _tree(make_project, tmp_path)
    r = run_cli("lint", "--format", "json", "--stdin-filename", "svc/Dockerfile", "-", cwd=root, stdin=UNPINNED)
    assert {f["rule"] for f in r.json()["findings"]} == {"RC301"}


def test_threshold_of_several_projects_is_the_strictest(make_project, tmp_path: Path):
    make_project(
        {
            ".git/HEAD": "",
            "a/.reprocheck.toml": 'failure-threshold = "error"\nselect = ["RC102"]\n',
            "a/Dockerfile": UNPINNED,
            "b/.reprocheck.toml": 'select = ["RC301"]\n',
            "b/Dockerfile": "FROM python:3.11@sha256:" + "0" * 64 + "\n",
        }
    )
    only_a = run_cli("lint", "a", cwd=tmp_path)
    assert only_a.code == 0 and "RC102" in only_a.out  # a warning, below a's threshold
    both = run_cli("lint", "--format", "json", "a", "b", cwd=tmp_path)
    assert both.code == 1 and both.json()["summary"]["failure_threshold"] == "warning"


def test_find_config_walks_up_to_the_repository_root(make_project, tmp_path: Path, monkeypatch):
    root = _tree(make_project, tmp_path)
    assert find_config(root / "svc" / "nested") == root / "svc" / "nested" / ".reprocheck.toml"
    assert find_config(root / "elsewhere") == root / "pyproject.toml"
    monkeypatch.chdir(root / "svc")
    assert find_config(Path("nested")) == root / "svc" / "nested" / ".reprocheck.toml"  # relative: from the cwd
    (root / "svc" / "pyproject.toml").write_text('[project]\nname = "svc"\n')  # no [tool.reprocheck]: passed by
    assert find_config(Path(".")) == root / "pyproject.toml"
