from __future__ import annotations

from pathlib import Path

import pytest

from reprocheck.errors import ConfigError, UsageError
from reprocheck.lint.config import Config, parse_config
from reprocheck.lint.discover import discover
from reprocheck.lint.pragmas import collect
from reprocheck.lint.run import LintOptions, lint_paths
from reprocheck.lint.selection import Selection
from reprocheck.model.finding import Severity
from reprocheck.parsing.dockerfile import parse_dockerfile
from reprocheck.rules import META


def sel(select=("ALL",), ignore=(), severity=None) -> Selection:
    return Selection(tuple(select), tuple(ignore), severity or {})


def test_selection_most_specific_wins():
    s = sel(select=("ALL", "RC301"), ignore=("RC3",))
    assert s.enabled(META["RC301"])
    assert not s.enabled(META["RC302"])
    assert s.enabled(META["RC101"])
    assert not sel(select=("RC3",), ignore=("RC3",)).enabled(META["RC301"])  # tie: ignore wins
    assert sel(select=("pip-install-unpinned",)).enabled(META["RC301"])
    assert not sel(select=("RC1",)).enabled(META["RC301"])


def test_severity_overrides_most_specific():
    s = sel(severity={"RC2": Severity.INFO, "RC201": Severity.ERROR})
    assert s.severity_of(META["RC201"]) is Severity.ERROR
    assert s.severity_of(META["RC202"]) is Severity.INFO
    assert s.severity_of(META["RC101"]) is Severity.ERROR


def test_parse_config_validates_with_line_numbers():
    text = '[tool.reprocheck]\nselect = ["RC1"]\nfailure-threshold = "fatal"\n'
    with pytest.raises(ConfigError) as exc:
        parse_config({"select": ["RC1"], "failure-threshold": "fatal"}, text, "pyproject.toml")
    assert exc.value.line == 3 and exc.value.path == "pyproject.toml"
    with pytest.raises(ConfigError) as exc:
        parse_config({"selct": ["RC1"]}, '[tool.reprocheck]\nselct = ["RC1"]\n', "p.toml")
    assert exc.value.line == 2 and "selct: unknown key" in exc.value.message
    with pytest.raises(ConfigError):
        parse_config({"ignore": "RC1"}, "ignore = 'RC1'\n", "p.toml")


def test_parse_config_values():
    cfg = parse_config(
        {
            "select": ["RC1"],
            "ignore": ["RC102"],
            "severity": {"RC101": "warning"},
            "failure-threshold": "error",
            "trusted-registries": ["r.example"],
            "exclude": ["vendor/*"],
            "per-file-ignores": {"test/*": ["RC3"]},
        },
        "",
        "x.toml",
    )
    assert cfg.select == ("RC1",) and cfg.ignore == ("RC102",)
    assert cfg.severity == {"RC101": Severity.WARNING}
    assert cfg.failure_threshold is Severity.ERROR
    assert cfg.per_file_ignores == {"test/*": ("RC3",)}


def test_discover_finds_dockerfiles_and_skips_venvs_and_git(make_project):
    root = make_project(
        {
            "Dockerfile": "FROM a\n",
            "svc/api.Dockerfile": "FROM a\n",
            "svc/Dockerfile.gpu": "FROM a\n",
            "svc/Containerfile": "FROM a\n",
            "lower/dockerfile-cli": "FROM a\n",
            "README.md": "x",
            ".git/Dockerfile": "FROM a\n",
            "venv/pyvenv.cfg": "",
            "venv/Dockerfile": "FROM a\n",
            "node_modules/x/Dockerfile": "FROM a\n",
            "vendor/Dockerfile": "FROM a\n",
        }
    )
    found = [t.path for t in discover([str(root)], exclude=["vendor"])]
    rel = sorted(p[len(str(root)) + 1 :] for p in found)
    assert rel == [
        "Dockerfile",
        "lower/dockerfile-cli",
        "svc/Containerfile",
        "svc/Dockerfile.gpu",
        "svc/api.Dockerfile",
    ]


def test_discover_missing_path_is_a_usage_error():
    with pytest.raises(UsageError):
        discover(["/nonexistent/path"])


def test_pragmas_attach_to_the_next_instruction_only():
    text = (
        "FROM a:1\n# reprocheck: ignore=RC301\n# another comment\nRUN pip install x\nRUN pip install y\n"
        "# hadolint ignore=DL3008,SC2086\nRUN apt-get install -y z\n# hadolint global ignore=DL3006\n"
    )
    df = parse_dockerfile(text, "D")
    p = collect(df.comments, df.instructions, META)
    assert p.suppression("RC301", 4)
    assert p.suppression("RC301", 5) is None
    assert p.suppression("RC201", 7)
    assert p.suppression("RC101", 1)  # global hadolint DL3006 -> RC101
    assert p.invalid == []


def test_lint_paths_marks_suppressed_instead_of_dropping(make_project, monkeypatch):
    root = make_project({"Dockerfile": "FROM python\n# reprocheck: ignore=unpinned-base-image\nFROM debian\n"})
    monkeypatch.chdir(root)
    report = lint_paths(["Dockerfile"], LintOptions(isolated=True, select=("RC101",)))
    assert [(f.location.line, f.suppressed_by is not None) for f in report.findings] == [
        (1, False),
        (3, True),
    ]
    assert report.exit_code == 1


def test_config_file_is_found_upwards_and_applied(make_project, monkeypatch):
    root = make_project(
        {
            "pyproject.toml": '[tool.reprocheck]\nignore = ["RC102"]\nfailure-threshold = "error"\n',
            "sub/Dockerfile": "FROM python:3.11\n",
        }
    )
    monkeypatch.chdir(root / "sub")
    report = lint_paths(["Dockerfile"], LintOptions())
    assert report.findings == ()
    assert report.threshold is Severity.ERROR


def test_per_file_ignores(make_project, monkeypatch):
    root = make_project(
        {
            ".reprocheck.toml": '[per-file-ignores]\n"dev/*" = ["RC1"]\n',
            "dev/Dockerfile": "FROM python\n",
            "prod/Dockerfile": "FROM python\n",
        }
    )
    monkeypatch.chdir(root)
    report = lint_paths(["."], LintOptions(select=("RC101",)))
    assert [f.location.path for f in report.findings] == ["prod/Dockerfile"]


def test_unknown_selector_in_config_names_file_and_line(make_project, monkeypatch):
    root = make_project({".reprocheck.toml": 'select = ["RC1"]\nignore = ["RC999"]\n', "Dockerfile": "FROM a\n"})
    monkeypatch.chdir(root)
    with pytest.raises(ConfigError) as exc:
        lint_paths(["Dockerfile"], LintOptions())
    assert exc.value.line == 2 and exc.value.path and exc.value.path.endswith(".reprocheck.toml")


def test_default_config_is_strict_but_info_does_not_fail():
    assert Config().failure_threshold is Severity.WARNING


def test_unreadable_file_is_a_finding_not_a_crash(make_project, monkeypatch):
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads files without permission")
    root = make_project({"Dockerfile": "FROM a\n"})
    p = Path(root) / "Dockerfile"
    p.chmod(0)
    monkeypatch.chdir(root)
    try:
        report = lint_paths(["Dockerfile"], LintOptions(isolated=True))
    finally:
        p.chmod(0o644)
    assert report.findings[0].rule == "RC900"


def test_one_pragma_parser_serves_dockerfiles_and_dependency_files():
    from reprocheck.lint.pragmas import collect_inline, parse

    df = parse_dockerfile("FROM a:1\n# reprocheck: ignore=RC301,nope\nRUN pip install x\n", "D")
    in_dockerfile = collect(df.comments, df.instructions, META)
    in_requirements = collect_inline("numpy  # reprocheck: ignore=RC301,nope\n# reprocheck: ignore-file=RC6\n", META)
    assert in_dockerfile.suppression("RC301", 3) and in_requirements.suppression("RC301", 1)
    assert in_requirements.suppression("RC601", 9)  # ignore-file: every line
    assert in_dockerfile.invalid == [(2, "`nope` in `# reprocheck: ignore=RC301,nope` names no reprocheck rule")]
    assert in_requirements.invalid == [(1, "`nope` in `# reprocheck: ignore=RC301,nope` names no reprocheck rule")]
    assert parse("hadolint ignore=DL3006", 1, META) is not None
    assert parse("hadolint ignore=DL3006", 1, META, hadolint=False) is None  # not in dependency files


def test_an_unknown_rule_in_a_dependency_file_pragma_is_reported(make_project, monkeypatch):
    root = make_project({"requirements.txt": "numpy==1.26.4  # reprocheck: ignore=RC999\n"})
    monkeypatch.chdir(root)
    report = lint_paths(["requirements.txt"], LintOptions(isolated=True))
    assert [(f.rule, f.location.line) for f in report.findings if f.rule == "RC901"] == [("RC901", 1)]
