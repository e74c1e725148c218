"""Hostile input (issue 12): every case is a file a pre-commit hook may meet. Lint must report it on the file
(RC900 with a clear message, or a note), never crash, hang, read what it should not, or lose other files'
findings. Time limits here allow a loaded machine; the linear-time claims live in bench/bench_linear.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from reprocheck.lint.discover import FileKind, discover, kind_of
from reprocheck.lint.files import Unreadable, read_file
from reprocheck.lint.run import LintOptions, lint_paths
from reprocheck.model.deps import DepKind
from reprocheck.parsing.depfiles import parse_dependency_file
from reprocheck.parsing.dockerfile import parse_dockerfile
from reprocheck.parsing.requirements_file import parse_requirements_file

LONG_NAME = "x" * 300  # over the 255 bytes a file name may have


def lint(path: Path, **extra):
    return lint_paths([str(path)], LintOptions(isolated=True, extra=extra))


def messages(report, rule: str = "RC900") -> list[tuple[str, int, str]]:
    return [(f.location.path, f.location.line, f.message) for f in report.findings if f.rule == rule]


def no_internal_errors(report) -> None:
    assert not [f for f in report.findings if "internal error" in f.message], report.findings


# ---- type-unchecked fields: RC900 at the key's line, with what was expected


@pytest.mark.parametrize(
    ("name", "text", "line", "message"),
    [
        ("Pipfile.lock", '{"_meta": 1}', 1, "`_meta` must be a table"),
        ("Pipfile.lock", '{\n  "default": {\n    "six": {"hashes": "sha256:x"}\n  }\n}', 3, "`hashes` must be"),
        ("Pipfile.lock", '{\n  "default": [1, 2]\n}', 2, "`default` must be a table"),
        ("Pipfile", '[packages]\nsix = "*"\n\n[requires]\npython_version = 3.11\n', 5, "`python_version`"),
        ("Pipfile", 'source = "x"\n[packages]\nsix = 1\n', 1, "`source` must be a list of tables"),
        ("uv.lock", 'version = 1\n[[package]]\nname = "a"\nversion = "1"\nwheels = true\n', 5, "`wheels` must be a"),
        ("uv.lock", 'version = 1\npackage = {name = "a"}\n', 2, "`package` must be a list"),
        ("uv.lock", 'version = 1\n[[package]]\nname = "a"\ndependencies = [1]\n', 4, "`dependencies` must be"),
        ("pyproject.toml", '[project]\nname = "x"\noptional-dependencies = [""]\n', 3, "`optional-dependencies`"),
        ("pyproject.toml", '[project]\nname = "x"\ndependencies = "six"\n', 3, "`dependencies` must be a list"),
        ("pyproject.toml", "tool = [1]\n", 1, "`tool` must be a table"),
        ("pyproject.toml", '[tool.poetry]\ndependencies = ["six"]\n', 2, "`dependencies` must be a table"),
        ("poetry.lock", '[metadata]\ncontent-hash = ["a"]\npython-versions = "3"\n', 2, "`content-hash` must be a"),
        ("poetry.lock", '[[package]]\nname = "a"\nversion = "1"\nfiles = {}\n', 4, "`files` must be a list"),
        ("environment.yml", "dependencies: numpy\n", 1, "`dependencies` must be a list"),
        ("conda-lock.yml", "version: 1\npackage:\n  - 1\n  - {name: [1]}\n", 3, "`package` must be a list of tables"),
    ],
)
def test_wrong_types_become_parse_issues_at_the_key(tmp_path: Path, name: str, text: str, line: int, message: str):
    (tmp_path / name).write_text(text, encoding="utf-8")
    report = lint(tmp_path)
    no_internal_errors(report)
    found = messages(report)
    assert any(ln == line and message in msg for _, ln, msg in found), found


def test_the_typed_rest_of_a_file_is_still_read():
    text = (
        'version = 1\n[[package]]\nname = "a"\nversion = "1"\nwheels = true\n'
        '[[package]]\nname = "b"\nversion = "2"\n'
        'wheels = [{url = "https://x/b-2-py3-none-any.whl", hash = "sha256:1"}]\n'
    )
    f = parse_dependency_file(text.encode(), "uv.lock", DepKind.UV_LOCK)
    assert [(p.name, p.line, len(p.files)) for p in f.locked] == [("a", 2, 0), ("b", 6, 1)]
    assert [i.line for i in f.issues] == [5]


@pytest.mark.parametrize("name", ["pyproject.toml", "uv.lock", "poetry.lock", "Pipfile"])
def test_an_integer_of_5000_digits_is_a_parse_issue(name: str):
    text = 'a = "b"\n\nx = ' + "1" * 5000 + "\n"
    f = parse_dependency_file(text.encode(), name, {"pyproject.toml": DepKind.PYPROJECT}.get(name, DepKind.UV_LOCK))
    assert [(i.line, "too long" in i.message) for i in f.issues] == [(3, True)]


def test_deeply_nested_documents_are_parse_issues():
    for kind, text in (
        (DepKind.PYPROJECT, "a = " + "[" * 5000 + "]" * 5000),
        (DepKind.PIPFILE_LOCK, "[" * 100_000 + "]" * 100_000),
        (DepKind.CONDA_ENV, "dependencies: " + "[" * 5000 + "]" * 5000),
    ):
        f = parse_dependency_file(text.encode(), "f", kind)
        assert f.issues and "nest" in f.issues[0].message, (kind, f.issues)


def test_a_huge_version_number_is_compared_without_int_overflow(tmp_path: Path):
    big = "1" * 5000
    (tmp_path / "requirements.in").write_text(f"six>={big}\n")
    (tmp_path / "requirements.txt").write_text(
        f"# This file is autogenerated by pip-compile with Python 3.11\n#    pip-compile requirements.in\nsix=={big}0\n"
    )
    report = lint(tmp_path)
    no_internal_errors(report)


def test_poetry_constraint_with_a_huge_number_does_not_raise(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text(f'[tool.poetry.dependencies]\nsix = "^{"9" * 5000}"\n')
    no_internal_errors(lint(tmp_path))


def test_toml_dates_in_hashed_documents_do_not_break_the_hash(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poetry.dependencies]\nsix = "1.0"\nwhen = {version = "1", x = 1979-05-27}\n'
    )
    (tmp_path / "poetry.lock").write_text('[metadata]\ncontent-hash = "abc"\npython-versions = "3"\n')
    no_internal_errors(lint(tmp_path))


# ---- file names the system refuses


def test_a_long_include_name_is_ignored_and_other_pairs_keep_their_findings(tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a/requirements.in").write_text("six>=2\n")
    (tmp_path / "a/requirements.txt").write_text(
        "# This file is autogenerated by pip-compile with Python 3.11\n#    pip-compile requirements.in\nsix==1.16.0\n"
    )
    (tmp_path / "b").mkdir()
    (tmp_path / "b/requirements.txt").write_text(f"-r {LONG_NAME}.txt\n-c {LONG_NAME}/c.txt\nsix==1.16.0\n")
    report = lint(tmp_path)
    no_internal_errors(report)
    assert [f.rule for f in report.findings if f.location.path.endswith("a/requirements.in")] == ["RC612"]


def test_a_long_copy_source_is_not_an_error(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text(
        f"FROM python:3.11\nCOPY {LONG_NAME} /app/\nCOPY {LONG_NAME}/* /b/\nRUN pip install -r /app/{LONG_NAME}\n"
    )
    report = lint(tmp_path)
    no_internal_errors(report)
    assert not messages(report)


def test_a_long_lock_source_name_in_a_header_is_ignored(tmp_path: Path):
    (tmp_path / "requirements.txt").write_text(
        f"# This file is autogenerated by pip-compile with Python 3.11\n#    pip-compile {LONG_NAME}.in\nsix==1.16.0\n"
    )
    no_internal_errors(lint(tmp_path))


# ---- what is not a regular file, or not inside the tree


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("name", ["Dockerfile", "requirements.txt", "pyproject.toml"])
def test_a_fifo_is_reported_not_read(tmp_path: Path, name: str):
    os.mkfifo(tmp_path / name)  # nobody writes: reading it would block forever
    for given in (tmp_path, tmp_path / name):
        report = lint(given)
        assert [m for _, _, m in messages(report)] == ["not a regular file (a named pipe): not read"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_a_dockerfile_installs_is_reported_not_read(tmp_path: Path):
    os.mkfifo(tmp_path / "requirements.txt")
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.11\nCOPY requirements.txt /app/\nRUN pip install -r /app/requirements.txt\n"
    )
    report = lint(tmp_path / "Dockerfile")
    assert ("requirements.txt", 1, "not a regular file (a named pipe): not read") in [
        (Path(p).name, ln, m) for p, ln, m in messages(report)
    ]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize("name", ["Dockerfile", "requirements.txt"])
def test_a_link_to_dev_zero_is_never_read(tmp_path: Path, name: str):
    (tmp_path / name).symlink_to("/dev/zero")
    report = lint(tmp_path)
    assert len(messages(report)) == 1
    # even when nothing limits the tree (an explicit root of /), a device is not read
    assert read_file(tmp_path / name, Path("/")) == Unreadable("not a regular file (a character device): not read")


def test_a_link_out_of_the_tree_is_not_followed_nor_quoted(tmp_path: Path):
    secret = tmp_path / "host-secret.txt"
    secret.write_text("TOKEN-d41d8cd98f00b204\n")  # would be an RC900 "pip cannot parse" quoting the line
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").symlink_to(secret)
    (project / "Dockerfile").symlink_to(secret)
    (project / "inner").mkdir()
    (project / "inner/requirements.txt").write_text("-r ../../host-secret.txt\nsix==1.16.0\n")
    report = lint(project)
    text = repr(report.findings)
    assert "TOKEN" not in text
    assert sorted((Path(p).name, m) for p, _, m in messages(report)) == [
        ("Dockerfile", "a link to a file outside the linted directory: not followed"),
        ("host-secret.txt", "outside the linted directory (and its repository): not read"),
        ("requirements.txt", "a link to a file outside the linted directory: not followed"),
    ]


def test_a_link_inside_the_tree_is_followed(tmp_path: Path):
    (tmp_path / "reqs").mkdir()
    (tmp_path / "reqs/base.txt").write_text("six\n")
    (tmp_path / "requirements.txt").symlink_to(tmp_path / "reqs/base.txt")
    report = lint(tmp_path)
    assert not messages(report)
    assert "RC601" in {f.rule for f in report.findings}


def test_a_file_over_the_size_limit_is_reported_not_read(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.11\n" + "RUN true\n" * 200)
    report = lint(tmp_path, **{"max-file-size": 1000})
    assert [m.split(" (")[0] for _, _, m in messages(report)] == ["larger than 1000 bytes"]
    assert "max-file-size" in messages(report)[0][2]
    assert not messages(lint(tmp_path))  # the default limit is far above


def test_max_file_size_is_read_from_the_config(tmp_path: Path):
    from reprocheck.lint.config import parse_config

    assert parse_config({"max-file-size": "64 MiB"}, "", "x").max_file_size == 64 * 1024 * 1024
    assert parse_config({"max-file-size": 1000}, "", "x").max_file_size == 1000
    from reprocheck.errors import ConfigError

    for bad in (0, -1, "big", True, 1.5):
        with pytest.raises(ConfigError):
            parse_config({"max-file-size": bad}, "", "x")


# ---- discovery


def test_a_thousand_nested_folders_are_walked(tmp_path: Path):
    deep = tmp_path
    chain = []
    for _ in range(1000):
        deep = deep / "d"
        deep.mkdir()  # one by one: os.makedirs itself recurses
        chain.append(deep)
    (deep / "Dockerfile").write_text("FROM python:3.11\nRUN pip install six\n")
    limit = sys.getrecursionlimit()
    try:
        report = lint(tmp_path)
    finally:
        # shutil.rmtree (pytest's clean-up of old temporary directories) recurses too: undo the chain here
        (deep / "Dockerfile").unlink()
        for d in reversed(chain):
            d.rmdir()
    assert sys.getrecursionlimit() == limit
    assert [p.rsplit("/", 2)[-2:] for p in report.files] == [["d", "Dockerfile"]]
    assert not messages(report)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("dockerfile.py", None),
        ("tools/dockerfile.py", None),
        ("dockerfile_test.go", None),
        ("Dockerfile.md", None),
        ("Dockerfile.dockerignore", None),
        ("Dockerfile.j2", FileKind.TEMPLATE),
        ("app.Dockerfile.jinja", None),  # not a Dockerfile name at all
        ("Dockerfile.gpu.tmpl", FileKind.TEMPLATE),
        ("Dockerfile.tpl", FileKind.TEMPLATE),
        ("Dockerfile", FileKind.DOCKERFILE),
        ("Dockerfile.gpu", FileKind.DOCKERFILE),
        ("Dockerfile.cpp", FileKind.DOCKERFILE),
        ("Dockerfile.nix", FileKind.DOCKERFILE),
        ("dockerfile-r", FileKind.DOCKERFILE),
        ("api.Dockerfile", FileKind.DOCKERFILE),
    ],
)
def test_what_is_a_dockerfile_by_name(name: str, kind: FileKind | None):
    got = kind_of(name)
    assert (got[0] if got else None) is kind


def test_source_files_are_not_dockerfiles_and_templates_are_noted_once(tmp_path: Path):
    (tmp_path / "tools").mkdir()
    (tmp_path / "dockerfile.py").write_text("import os\nprint(os.name)\n")
    (tmp_path / "tools/dockerfile.py").write_text("def build():\n    pass\n")
    (tmp_path / "Dockerfile.j2").write_text(
        "FROM {{ base }}\n{% for p in pkgs %}RUN pip install {{ p }}\n{% endfor %}\n"
    )
    report = lint(tmp_path)
    assert report.findings == ()
    assert report.files == ()
    assert len(report.notes) == 1 and "Dockerfile.j2" in report.notes[0]


def test_discover_never_enters_linked_directories(tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Dockerfile").write_text("FROM a\n")
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    (root / "loop").symlink_to(root, target_is_directory=True)
    assert discover([str(root)]) == []


def test_pre_commit_hook_files_pattern_skips_source_and_templates():
    import re

    import yaml

    hooks = yaml.safe_load((Path(__file__).parents[2] / ".pre-commit-hooks.yaml").read_text())
    pattern = re.compile(next(h for h in hooks if h["id"] == "reprocheck-lint")["files"])
    for name in ("Dockerfile", "docker/Dockerfile.gpu", "svc/api.Dockerfile", "requirements.txt", "uv.lock"):
        assert pattern.search(name), name
    for name in ("dockerfile.py", "tools/dockerfile.py", "Dockerfile.j2", "src/dockerfile_test.go", "Dockerfile.md"):
        assert not pattern.search(name), name


# ---- the pip options pip itself accepts in requirements files


def test_config_settings_is_a_per_requirement_option():
    text = "".join(f"pkg{i}==1.0 --config-settings=key=value{i} -C other=x\n" for i in range(50))
    text += 'one==1 --config-settings "editable_mode=compat" --hash=sha256:' + "a" * 64 + "\n"
    f = parse_requirements_file(text, "requirements.txt")
    assert f.issues == ()
    assert len(f.dependencies) == 51 and f.dependencies[-1].hashes == ("sha256:" + "a" * 64,)
    bad = parse_requirements_file("pkg==1 --config-settings novalue\n", "requirements.txt")
    assert "KEY=VAL" in bad.issues[0].message


def test_a_requirement_line_with_20000_spaces_parses():
    f = parse_requirements_file("foo" + " " * 20000 + "bar\n" + "six" + " " * 20000 + "# c\n", "requirements.txt")
    assert [d.name for d in f.dependencies] == ["six"]
    assert len(f.issues) == 1


def test_nested_variable_defaults_do_not_recurse_without_end():
    df = parse_dockerfile("FROM python:3.11\nRUN echo " + "${A:-" * 5000 + "x" + "}" * 5000 + "\n", "Dockerfile")
    assert len(df.instructions) == 2


def test_an_explicit_path_to_a_device_link_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    Path("Dockerfile").symlink_to("/dev/zero")
    Path("requirements.txt").symlink_to(tmp_path / "missing.txt")
    report = lint_paths(["Dockerfile", "requirements.txt"], LintOptions(isolated=True))
    assert [(p, m.split(":")[0]) for p, _, m in messages(report)] == [
        ("Dockerfile", "a link to a file outside the linted directory"),
        ("requirements.txt", "cannot read"),
    ]


def test_a_directory_named_like_a_dockerfile_is_walked_not_read(tmp_path: Path):
    (tmp_path / "Dockerfile").mkdir()
    (tmp_path / "Dockerfile" / "Dockerfile").write_text("FROM python:3.11\n")
    (tmp_path / "requirements.txt").mkdir()
    report = lint(tmp_path)
    assert [p.rsplit("/", 2)[-2:] for p in report.files] == [["Dockerfile", "Dockerfile"]]
    assert not messages(report)


def test_a_copied_requirements_file_that_links_out_of_the_context_is_not_read(tmp_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOKEN-0123456789\n")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / ".git").mkdir()
    (ctx / "requirements.txt").symlink_to(secret)
    (ctx / "Dockerfile").write_text(
        "FROM python:3.11\nCOPY requirements.txt /app/\nRUN pip install -r /app/requirements.txt\n"
    )
    report = lint(ctx / "Dockerfile")
    assert "TOKEN" not in repr(report.findings)
    assert any("outside the linted directory" in m for _, _, m in messages(report))


def test_a_dockerfile_named_alone_keeps_its_context_above_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    repo = tmp_path / "repo"
    (repo / "docker").mkdir(parents=True)
    (repo / ".git").mkdir()
    (repo / "requirements.txt").write_text("six==1.16.0\n")
    (repo / "docker/Dockerfile").write_text(
        "FROM python:3.11\nCOPY requirements.txt /app/\nRUN pip install -r /app/requirements.txt\n"
    )
    for cwd in (tmp_path, repo / "docker"):
        monkeypatch.chdir(cwd)
        report = lint_paths([str(repo / "docker/Dockerfile")], LintOptions(isolated=True))
        assert "RC705" not in {f.rule for f in report.findings}, report.findings
        assert "RC602" in {f.rule for f in report.findings}  # the requirements file was followed and read


def test_an_include_elsewhere_in_the_repository_is_followed(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "common").mkdir()
    (tmp_path / "common/base.txt").write_text("six\n")
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc/requirements.txt").write_text("-r ../common/base.txt\n")
    report = lint(tmp_path / "svc")
    assert not messages(report)
    assert [f.rule for f in report.findings if f.location.path.endswith("base.txt")] == ["RC601"]


def test_a_dockerignore_linking_out_is_not_read(tmp_path: Path):
    secret = tmp_path / "secret"
    secret.write_text("requirements.txt\n")  # would exclude the file and be quoted in RC705 messages
    ctx = tmp_path / "ctx"
    (ctx / "docker").mkdir(parents=True)
    (ctx / ".git").mkdir()
    (ctx / "requirements.txt").write_text("six==1.16.0\n")
    (ctx / "docker/Dockerfile").write_text(
        "FROM python:3.11\nCOPY requirements.txt /app/\nRUN pip install -r /app/requirements.txt\n"
    )
    (ctx / "docker/Dockerfile.dockerignore").symlink_to(secret)
    report = lint(ctx / "docker/Dockerfile")
    assert not any("dockerignore" in f.message for f in report.findings), report.findings


def test_yaml_line_breaks_that_editors_do_not_count_do_not_shift_lines():
    text = "channels:\n  - 'a\x85b'\ndependencies:\n  - numpy=1\n"  # NEL is a line break for YAML only
    f = parse_dependency_file(text.encode(), "environment.yml", DepKind.CONDA_ENV)
    assert ([d.line for d in f.dependencies], [o.line for o in f.options], f.issues) == ([4], [2], ())
