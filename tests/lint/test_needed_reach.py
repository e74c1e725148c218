"""RC705 says how sure it is (issue 25): a file .dockerignore drops is an error when the smoke command runs
or imports the code that names it, and a warning naming the script when it does not (a training helper)."""

from __future__ import annotations

from pathlib import Path

from reprocheck.lint.dockerignore import DockerIgnore, parse_dockerignore
from reprocheck.lint.needed import excluded_but_needed, reached_code
from reprocheck.model.finding import Severity

FILES = {
    "Dockerfile": "FROM python:3.11\nWORKDIR /app\nCOPY . ./\nCMD python predict.py\n",
    ".dockerignore": "*.json\n*.csv\n",
    "predict.py": "import json\nfrom churn.loader import load\nfrom churn import features\nprint(load())\n",
    "churn/__init__.py": "",
    "churn/loader.py": "from .paths import WEIGHTS\n\ndef load():\n    return open(WEIGHTS).read()\n",
    "churn/paths.py": 'WEIGHTS = "weights.json"\n',
    "churn/features.py": 'NAMES = "columns.json"\n',
    "train_helper.py": 'import pandas\nrows = open("train.csv")\n',
    "weights.json": "{}",
    "columns.json": "[]",
    "train.csv": "a,b\n",
    "pyproject.toml": '[tool.reprocheck.smoke]\ncommand = ["python", "predict.py"]\ngolden = "golden/out.json"\n',
}


def _ignore(root: Path) -> DockerIgnore:
    return DockerIgnore(parse_dockerignore((root / ".dockerignore").read_text()))


def test_the_code_the_command_reaches_through_its_imports(make_project):
    root = make_project(FILES)
    sources = ["churn/__init__.py", "churn/features.py", "churn/loader.py", "churn/paths.py", "predict.py"]
    sources.append("train_helper.py")
    reached = reached_code(root, ["python", "predict.py"], sources)
    assert reached == {"predict.py", "churn/__init__.py", "churn/loader.py", "churn/paths.py", "churn/features.py"}
    assert reached_code(root, ["python", "-m", "churn.loader"], sources) == {
        "churn/__init__.py",
        "churn/loader.py",
        "churn/paths.py",
    }
    assert reached_code(root, ["serve-model"], sources) is None  # a console script: not followed
    assert reached_code(root, [], sources) is None


def test_needed_files_say_whether_the_container_reaches_their_code(make_project):
    root = make_project(FILES)
    needed = {n.path: (n.named_by, n.reached) for n in excluded_but_needed(root, _ignore(root), ".")}
    assert needed == {
        "weights.json": ("churn/paths.py:1", True),
        "columns.json": ("churn/features.py:1", True),
        "train.csv": ("train_helper.py:2", False),
    }
    (root / "pyproject.toml").write_text("[tool.reprocheck]\n")  # no smoke command: reachability unknown
    assert {n.reached for n in excluded_but_needed(root, _ignore(root), ".")} == {None}


def test_rc705_is_an_error_only_for_code_the_command_runs(make_project, monkeypatch):
    from reprocheck.lint.run import lint_paths

    root = make_project(FILES)
    monkeypatch.chdir(root)
    report = lint_paths([str(root)])
    rc705 = {f.message.split("`")[1]: f for f in report.findings if f.rule == "RC705"}
    assert rc705["weights.json"].severity is Severity.ERROR
    assert "churn/paths.py:1 names it: the container will not find it" in rc705["weights.json"].message
    helper = rc705["train.csv"]
    assert helper.severity is Severity.WARNING
    assert "train_helper.py:2 names it, but the smoke command neither runs nor imports that script" in helper.message
