""".hadolint.yaml: hadolint's ignored/override/trustedRegistries/failure-threshold mapped through the rules'
equivalents; reprocheck's own configuration wins where both speak."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reprocheck.errors import ConfigError, UsageError
from reprocheck.lint.run import LintOptions, lint_paths
from reprocheck.model.finding import Severity
from tests.conftest import ROOT

D = "sha256:" + "a" * 64
DOCKERFILE = (
    f"FROM python:3.11.9-slim@{D}\n"
    "RUN apt-get install -y curl\n"
    "RUN pip install numpy git+https://git.example.com/o/r.git@main\n"
)


def lint(make_project, monkeypatch, files: dict[str, str], **options):
    root = make_project({"Dockerfile": DOCKERFILE, ".git/HEAD": "ref: main\n", **files})
    monkeypatch.chdir(root)
    return lint_paths(["Dockerfile"], LintOptions(**options))


def rules_of(report) -> list[str]:
    return sorted({f.rule for f in report.active})


def test_ignored_maps_through_equivalents(make_project, monkeypatch):
    report = lint(make_project, monkeypatch, {".hadolint.yaml": "ignored:\n  - DL3008\n  - DL3013\n"})
    assert "RC201" not in rules_of(report)
    # DL3013 is declared by RC301 and RC302: both go
    assert "RC301" not in rules_of(report) and "RC302" not in rules_of(report)


def test_yml_spelling_and_unknown_ids_get_a_note(make_project, monkeypatch):
    report = lint(make_project, monkeypatch, {".hadolint.yml": "ignored: [DL3008, DL3059, SC2086]\n"})
    assert "RC201" not in rules_of(report)
    assert any("DL3059" in n and "no reprocheck rule" in n for n in report.notes)
    assert not any("SC2086" in n for n in report.notes)  # ShellCheck codes are not reprocheck's to map


def test_reprocheck_config_wins(make_project, monkeypatch):
    files = {
        ".hadolint.yaml": "ignored: [DL3008]\noverride:\n  info: [DL3013]\nfailure-threshold: error\n",
        "pyproject.toml": '[tool.reprocheck]\nextend-select = ["RC201"]\nfailure-threshold = "info"\n'
        'severity = { RC301 = "warning" }\n',
    }
    report = lint(make_project, monkeypatch, files)
    sev = {f.rule: f.severity for f in report.active}
    assert "RC201" in sev  # named by reprocheck's config: the hadolint ignore does not apply
    assert sev["RC301"] is Severity.WARNING  # reprocheck's severity beats hadolint's override
    assert sev["RC302"] is Severity.INFO  # hadolint's override where reprocheck says nothing
    assert report.threshold is Severity.INFO


def test_cli_select_wins_over_hadolint_ignored(make_project, monkeypatch):
    report = lint(make_project, monkeypatch, {".hadolint.yaml": "ignored: [DL3008]\n"}, select=("RC201",))
    assert rules_of(report) == ["RC201"]


def test_override_threshold_and_trusted_registries(make_project, monkeypatch):
    files = {
        ".hadolint.yaml": "override:\n  style: [DL3008]\n  error: [DL3013]\n"
        "failure-threshold: style\ntrustedRegistries:\n  - registry.example.com\n",
    }
    report = lint(make_project, monkeypatch, files)
    sev = {f.rule: f.severity for f in report.active}
    assert sev["RC201"] is Severity.INFO  # style has no reprocheck level: info
    assert sev["RC301"] is Severity.ERROR
    assert "RC104" in sev  # docker.io is not trusted
    assert report.threshold is Severity.INFO


def test_isolated_and_explicit_file(make_project, monkeypatch, tmp_path):
    files = {".hadolint.yaml": "ignored: [DL3008]\n", "ci/hadolint.yaml": "ignored: [DL3013]\n"}
    assert "RC201" in rules_of(lint(make_project, monkeypatch, files, isolated=True))
    report = lint(make_project, monkeypatch, files, hadolint_config="ci/hadolint.yaml")
    assert "RC201" in rules_of(report) and "RC301" not in rules_of(report)
    with pytest.raises(UsageError):
        lint(make_project, monkeypatch, files, hadolint_config="missing.yaml")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("ignored: [DL3008\n", 2, "invalid YAML"),
        ("ignored: DL3008: x\n", 1, "invalid YAML"),
        ("- DL3008\n", 1, "mapping"),
        ("ignored:\n  - 3008\n", 1, "list of strings"),
        ("override:\n  fatal: [DL3008]\n", 2, "unknown level"),
        ("failure-threshold: fatal\n", 1, "failure-threshold"),
        ("override: [DL3008]\n", 1, "override"),
    ],
)
def test_bad_config_is_one_clear_error(make_project, monkeypatch, text: str, line: int, words: str):
    with pytest.raises(ConfigError) as exc:
        lint(make_project, monkeypatch, {".hadolint.yaml": text})
    assert exc.value.path == ".hadolint.yaml" and exc.value.line == line and words in exc.value.message


def test_hostile_files(make_project, monkeypatch):
    for text in ("x: !!python/object:os.system\n", "[" * 10_000 + "]" * 10_000, "a: b\n" + "#" * 1_100_000):
        with pytest.raises(ConfigError) as exc:
            lint(make_project, monkeypatch, {".hadolint.yaml": text})
        assert exc.value.path == ".hadolint.yaml"


def test_empty_file_and_unknown_keys(make_project, monkeypatch):
    assert "RC201" in rules_of(lint(make_project, monkeypatch, {".hadolint.yaml": ""}))
    report = lint(make_project, monkeypatch, {".hadolint.yaml": "no-fail: true\nformat: json\nbogus: 1\n"})
    assert not any("no-fail" in n for n in report.notes) and any("bogus" in n for n in report.notes)
    assert report.exit_zero and report.verdict == "failed" and report.exit_code == 0  # no-fail is --exit-zero
    assert not any("format" in n for n in report.notes)


def test_yaml_is_not_imported_without_a_hadolint_file(make_project):
    root = make_project({"Dockerfile": "FROM python:3.11\n", ".git/HEAD": "ref: main\n"})
    code = (
        "import sys\nfrom reprocheck.lint.run import LintOptions, lint_paths\n"
        "lint_paths(['Dockerfile'], LintOptions())\nprint('yaml' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )
    assert out.stdout.strip() == "False"
