"""Following a Dockerfile into its build context."""

from __future__ import annotations

from pathlib import Path

import pytest

from reprocheck.lint.dockerignore import DockerIgnore, parse_dockerignore
from reprocheck.lint.project import DepLoader, build_project, choose_context
from reprocheck.parsing.dockerfile import parse_dockerfile

D = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("patterns", "path", "excluded"),
    [
        ("*.joblib", "model.joblib", True),
        ("*.joblib", "models/model.joblib", False),  # * does not cross directories
        ("**/*.joblib", "models/model.joblib", True),
        ("models", "models/a/b.bin", True),  # a directory pattern excludes its contents
        ("models\n!models/keep.bin", "models/keep.bin", False),
        ("!models/keep.bin\nmodels", "models/keep.bin", True),  # the last match wins
        ("/data/*.csv", "data/x.csv", True),
        ("data/?.csv", "data/xy.csv", False),
        ("[abc].txt", "b.txt", True),
        ("# comment\n\n.git", ".git/config", True),
        ("./build", "build/out", True),
    ],
)
def test_dockerignore_matches_like_docker(patterns: str, path: str, excluded: bool):
    ignore = DockerIgnore(parse_dockerignore(patterns))
    assert (ignore.excluded_by(path) is not None) is excluded


def test_dockerfile_specific_ignore_file_wins(tmp_path: Path):
    (tmp_path / ".dockerignore").write_text("*.txt\n")
    (tmp_path / "api.Dockerfile").write_text("FROM a\n")
    (tmp_path / "api.Dockerfile.dockerignore").write_text("*.bin\n")
    ignore = DockerIgnore.for_context(tmp_path, tmp_path / "api.Dockerfile")
    assert ignore.excluded_by("x.bin") and not ignore.excluded_by("x.txt")
    assert ignore.describe(ignore.excluded_by("x.bin")) == "api.Dockerfile.dockerignore:1 `*.bin`"  # type: ignore[arg-type]


def test_context_is_the_ancestor_where_copy_sources_exist(make_project):
    root = make_project(
        {
            "docker/Dockerfile": "FROM a\nCOPY requirements.txt src/ /app/\n",
            "requirements.txt": "",
            "src/main.py": "",
            ".git/HEAD": "",
        }
    )
    df = parse_dockerfile((root / "docker/Dockerfile").read_text(), "docker/Dockerfile")
    context, known = choose_context(root / "docker/Dockerfile", df, None)
    assert context == root.resolve() and known


def _project(root: Path, dockerfile: str):
    import os

    os.chdir(root)  # paths are shown relative to the working directory (tests restore it with monkeypatch)
    (root / ".git").mkdir(exist_ok=True)
    (root / "Dockerfile").write_text(dockerfile)
    df = parse_dockerfile(dockerfile, "Dockerfile")
    return build_project(df, root / "Dockerfile", DepLoader(), None)


def test_installs_are_followed_through_workdir_copy_cd_and_mounts(make_project, monkeypatch):
    monkeypatch.chdir(".")
    root = make_project(
        {
            "reqs/base.txt": "six==1.16.0\n",
            "app/requirements.txt": "idna==3.7\n",
            "uv.lock": "version = 1\n",
            "pyproject.toml": '[project]\nname = "x"\nversion = "0"\n',
        }
    )
    dockerfile = (
        f"FROM python:3.11@{D}\nWORKDIR /srv\nCOPY reqs/ deps/\nCOPY app /code\n"
        "RUN pip install -r deps/base.txt && cd /code && pip install -r requirements.txt\n"
        "RUN --mount=type=bind,source=uv.lock,target=/srv/uv.lock \\\n"
        "    --mount=type=bind,source=pyproject.toml,target=/srv/pyproject.toml uv sync --locked\n"
    )
    project = _project(root, dockerfile)
    got = [(i.line, i.role, i.image_path, i.path) for i in project.installed]
    assert got[:2] == [
        (5, "requirements", "/srv/deps/base.txt", "reqs/base.txt"),
        (5, "requirements", "/code/requirements.txt", "app/requirements.txt"),
    ]
    assert got[2] == (6, "project", "/srv/pyproject.toml", "pyproject.toml")
    assert project.installed[2].lock is not None and project.installed[2].lock.path == "uv.lock"
    assert project.installed[0].python is not None and project.installed[0].python.version == "3.11"


def test_copy_into_workdir_and_file_destinations(make_project, monkeypatch):
    monkeypatch.chdir(".")
    root = make_project({"req.txt": "six==1.16.0\n", "other.txt": "idna==3.7\n"})
    project = _project(
        root,
        f"FROM python:3.11@{D}\nWORKDIR /app\nCOPY req.txt .\nCOPY other.txt /opt/r.txt\n"
        "RUN pip install -r req.txt -r /opt/r.txt -r /base/image.txt\n",
    )
    assert [(i.image_path, i.path, i.reason) for i in project.installed] == [
        ("/app/req.txt", "req.txt", ""),
        ("/opt/r.txt", "other.txt", ""),
        ("/base/image.txt", None, ""),  # from the base image, as far as we know: not judged
    ]


def test_files_written_inside_the_image_are_not_missing(make_project, monkeypatch):
    monkeypatch.chdir(".")
    root = make_project({"pyproject.toml": '[project]\nname = "x"\nversion = "0"\n', "poetry.lock": ""})
    project = _project(
        root,
        f"FROM python:3.11@{D}\nWORKDIR /app\nCOPY . .\n"
        "RUN poetry export -o requirements.txt && pip install -r requirements.txt\n",
    )
    assert [i.reason for i in project.installed] == [""]


def test_a_directory_copy_leaving_a_needed_file_behind_is_reported(make_project, monkeypatch):
    """`COPY . ./` with `*.json` ignored: weights.json (opened by the code) and the spec's command's config are
    named; a JSON nobody names (the golden output) and the mounted input are not."""
    root = make_project(
        {
            "Dockerfile": "FROM python:3.11\nWORKDIR /app\nCOPY . ./\nCMD python predict.py\n",
            ".dockerignore": "# data dumps\n*.json\n!data/keep.json\n",
            "predict.py": 'import json\nwith open("weights.json") as fh:\n    w = json.load(fh)\n',
            "weights.json": "{}",
            "rows.json": "[]",
            "config.json": "{}",
            "golden/out.json": "{}",
            "data/keep.json": "{}",
            "pyproject.toml": '[tool.reprocheck.smoke]\ncommand = ["python", "predict.py", "config.json"]\n'
            'inputs = ["rows.json"]\n'
            'golden = "golden/out.json"\n',
        }
    )
    monkeypatch.chdir(root)
    project = _project(root, (root / "Dockerfile").read_text())
    needed = {(c.source, c.ignored_by, c.within, c.named_by) for c in project.copies if c.within is not None}
    assert needed == {
        ("config.json", ".dockerignore:2 `*.json`", ".", "the smoke spec's `command` (pyproject.toml)"),
        ("weights.json", ".dockerignore:2 `*.json`", ".", "predict.py:2"),
    }
    from reprocheck.lint.run import lint_paths

    report = lint_paths([str(root)])
    rc705 = [f for f in report.findings if f.rule == "RC705"]
    assert len(rc705) == 2 and all(f.location.line == 3 for f in rc705)
    assert "`weights.json` is excluded by .dockerignore:2 `*.json`" in rc705[1].message
    assert "predict.py:2 names it" in rc705[1].message


def test_needed_files_walk_stays_in_the_context(make_project, tmp_path: Path):
    """Symlinks are not followed (a link to a directory outside is not walked), and a directory COPY with
    nothing excluded, or no .dockerignore, costs no walk at all."""
    from reprocheck.lint.needed import excluded_but_needed

    outside = make_project({"secret/weights.json": "{}", "secret/app.py": 'open("weights.json")\n'}, tmp_path / "out")
    root = make_project(
        {".dockerignore": "*.json\n", "app.py": 'open("model.json")\n', "model.json": "{}"}, tmp_path / "ctx"
    )
    (root / "linked").symlink_to(outside / "secret")
    ignore = DockerIgnore(parse_dockerignore((root / ".dockerignore").read_text()))
    assert [n.path for n in excluded_but_needed(root, ignore, ".")] == ["model.json"]
    assert excluded_but_needed(root, ignore, "linked") == []
    assert excluded_but_needed(root, DockerIgnore([]), ".") == []
