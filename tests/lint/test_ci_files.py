"""CI configurations through the Dockerfile rules (their shell lines and images) and RC904 (actions and hook
repositories by tag); the shipped recipes in docs/ci, action.yml and the tool's own image pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from reprocheck.lint.run import LintOptions, lint_paths
from reprocheck.model.report import Report
from tests.conftest import ROOT


def _lint(make_project, monkeypatch, files: dict[str, str], **kw: object) -> Report:
    root = make_project({".git/HEAD": "ref: main\n", **files})
    monkeypatch.chdir(root)
    return lint_paths(["."], LintOptions(isolated=True, **kw))  # type: ignore[arg-type]


def _found(report: Report) -> list[tuple[str, str, int]]:
    return sorted((f.location.path, f.rule, f.location.line) for f in report.active)


def test_the_shipped_recipes_action_and_image_pass(monkeypatch):
    monkeypatch.chdir(ROOT)
    report = lint_paths(["docs/ci", "action.yml", "ci/image", ".pre-commit-config.yaml"], LintOptions())
    shipped = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs" / "ci").iterdir()}
    assert shipped == {
        "docs/ci/github-actions.yml",
        "docs/ci/gitlab-ci.yml",
        "docs/ci/azure-pipelines.yml",
        "docs/ci/Jenkinsfile",
        "docs/ci/pre-commit-config.yaml",
        "docs/ci/github-actions-audit-fanout.yml",
        "docs/ci/audit-fanout.gitlab-ci.yml",
    }
    # each is linted, not skipped
    assert shipped | {"action.yml", "ci/image/Dockerfile", ".pre-commit-config.yaml"} <= set(report.files)
    assert [(f.location.path, f.rule, f.message) for f in report.active if f.severity.rank >= 2] == []


def test_github_workflow(make_project, monkeypatch):
    text = (
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    container: python:3.12-slim\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - uses: ./local-action\n"
        "      - uses: docker://alpine:3.20\n"
        "      - run: |\n          echo hi\n          pip install reprocheck\n"
        "      # reprocheck: ignore=RC301  # a throwaway tool\n"
        "      - run: pip install black\n"
        "      - run: curl -fsSL https://example.com/i.sh | sh\n"
    )
    report = _lint(make_project, monkeypatch, {".github/workflows/ci.yml": text})
    path = ".github/workflows/ci.yml"
    assert _found(report) == [
        (path, "RC102", 5),  # the job container, tag only
        (path, "RC102", 9),  # docker:// step
        (path, "RC301", 12),  # the second line of the block
        (path, "RC503", 15),
        (path, "RC904", 7),
    ]
    assert [f.rule for f in report.findings if f.suppressed_by] == ["RC301"]


def test_gitlab_azure_jenkins_precommit(make_project, monkeypatch):
    files = {
        ".gitlab-ci.yml": (
            "job:\n  image:\n    name: python:3.12\n  services:\n    - docker:27-dind\n"
            "  before_script:\n    - pip install -U pip\n  script:\n    - >\n      pip install\n      requests\n"
        ),
        "azure-pipelines.yml": "steps:\n  - script: pip install numpy\n  - bash: |\n      apt-get install -y curl\n",
        "Jenkinsfile": (
            "pipeline {\n  agent { docker { image 'python:3.12' } }\n  stages { stage('a') { steps {\n"
            "    sh 'pip install numpy'\n    sh '''\n      pip install pandas\n    '''\n  } } }\n}\n"
        ),
        ".pre-commit-config.yaml": (
            "repos:\n  - repo: https://github.com/psf/black\n    rev: 24.1.0\n    hooks: [{id: black}]\n"
            "  - repo: local\n    rev: whatever\n    hooks: []\n"
        ),
    }
    found = _found(_lint(make_project, monkeypatch, files, select=("RC102", "RC301", "RC904")))
    assert found == [
        (".gitlab-ci.yml", "RC102", 3),
        (".gitlab-ci.yml", "RC102", 5),
        (".gitlab-ci.yml", "RC301", 7),
        (".gitlab-ci.yml", "RC301", 10),  # a folded scalar: its first content line
        (".pre-commit-config.yaml", "RC904", 3),
        ("Jenkinsfile", "RC102", 2),
        ("Jenkinsfile", "RC301", 4),
        ("Jenkinsfile", "RC301", 6),
        ("azure-pipelines.yml", "RC301", 2),
    ]


@pytest.mark.parametrize("text", ["jobs: [unclosed\n", "a: *nope\n", "\x00\x01", "- - - -\n" * 3, ""])
def test_a_ci_file_that_does_not_parse_is_left_alone(make_project, monkeypatch, text: str):
    assert _found(_lint(make_project, monkeypatch, {".gitlab-ci.yml": text})) == []


def test_other_yaml_files_are_not_ci_files(make_project, monkeypatch):
    report = _lint(make_project, monkeypatch, {"config.yml": "script: pip install x\n", "docs/ci.yaml": "run: x\n"})
    assert report.files == ()


def test_disallow_inline_ignores_covers_ci_files(make_project, monkeypatch):
    text = "steps:\n  # reprocheck: ignore=RC301\n  - script: pip install numpy\n"
    files = {".reprocheck.toml": "disallow-inline-ignores = true\n", "azure-pipelines.yml": text}
    root = make_project({".git/HEAD": "ref: main\n", **files})
    monkeypatch.chdir(root)
    found = _found(lint_paths(["."], LintOptions(select=("RC301", "RC903"))))
    assert found == [("azure-pipelines.yml", "RC301", 3), ("azure-pipelines.yml", "RC903", 2)]


def test_a_readme_job_per_ci_is_pinned():
    """README's "Use as a CI gate" shows one short job per CI; each, written out, lints clean."""
    import re
    import tempfile

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Use as a CI gate") :]
    section = section[: section.index("\n## ", 5)]
    names = {"yaml github": ".github/workflows/r.yml", "yaml gitlab": ".gitlab-ci.yml",
             "yaml azure": "azure-pipelines.yml", "groovy": "Jenkinsfile",
             "yaml pre-commit": ".pre-commit-config.yaml"}  # fmt: skip
    blocks = dict(re.findall(r"```([^\n]+)\n(.*?)```", section, re.DOTALL))
    assert set(names) <= set(blocks), set(names) - set(blocks)
    with tempfile.TemporaryDirectory() as tmp:
        for info, name in names.items():
            (Path(tmp) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / name).write_text(blocks[info])
        (Path(tmp) / ".git").mkdir()
        report = lint_paths([tmp], LintOptions(isolated=True))
    assert len(report.files) == len(names)
    assert [(f.location.path, f.rule) for f in report.active] == []


def test_expressions_and_here_documents(make_project, monkeypatch):
    text = (
        "jobs:\n  a:\n    steps:\n"
        "      - run: pip install ${{ matrix.pkg }}\n"  # a value the CI fills in: not judged
        "      - run: |\n"
        "          cat <<'EOF' > notes.txt\n"
        "          pip install not-a-command-here\n"
        "          EOF\n"
        "          pip install requests\n"
        '      - run: echo "${{ github.sha }}" && curl -sSL https://get.example.com | bash -s -- --yes\n'
    )
    found = _found(_lint(make_project, monkeypatch, {".github/workflows/ci.yml": text}))
    path = ".github/workflows/ci.yml"
    assert found == [(path, "RC301", 9), (path, "RC503", 10)]


def test_the_repository_lints_clean_at_its_root(monkeypatch):
    """`reprocheck lint .` in a checkout: the repository's own Dockerfile, Action, CI recipes, pre-commit config
    and bundled example, with the fixtures and corpus samples (wrong on purpose) excluded by its config."""
    monkeypatch.chdir(ROOT)
    report = lint_paths(["."], LintOptions())
    assert {"action.yml", "ci/image/Dockerfile", "examples/iris-numpy/Dockerfile"} <= set(report.files)
    assert not any(p.startswith(("fixtures/", "tests/")) for p in report.files)
    assert [(f.location.path, f.rule, f.message) for f in report.active if f.severity.rank >= 2] == []
