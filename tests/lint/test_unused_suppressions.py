"""RC902: a suppression that suppressed nothing, judged only for rules that ran."""

from __future__ import annotations

from reprocheck.lint.run import LintOptions, lint_paths
from tests.conftest import lint_text

D = "sha256:" + "a" * 64
BASE = f"FROM python:3.11.9-slim@{D}\n"


def unused(text: str, rules: list[str]) -> list[tuple[int, str]]:
    return [(f.location.line, f.message) for f in lint_text(text, ["RC902", *rules]) if f.rule == "RC902"]


def test_unused_inline_pragma():
    found = unused(BASE + "# reprocheck: ignore=RC301\nRUN pip install numpy==1.26.4\n", ["RC301"])
    assert [line for line, _ in found] == [2] and "`RC301`" in found[0][1]


def test_used_pragma_is_not_reported():
    assert unused(BASE + "# reprocheck: ignore=RC301\nRUN pip install numpy\n", ["RC301"]) == []


def test_only_the_unused_names_are_listed():
    text = BASE + "# reprocheck: ignore=RC301,RC201\nRUN pip install numpy\n"
    found = unused(text, ["RC301", "RC201"])
    assert len(found) == 1 and found[0][1].startswith("`RC201` in `# reprocheck: ignore=RC301,RC201`")


def test_rules_that_did_not_run_are_not_judged():
    text = BASE + "# reprocheck: ignore=RC301,RC815\nRUN pip install numpy==1.26.4\n"
    assert unused(text, []) == []  # RC301 not selected; RC815 is a runtime rule
    assert unused(text.replace("RC301,RC815", "RC999"), ["RC301"]) == []  # RC901's business


def test_hadolint_pragmas():
    text = BASE + "# hadolint ignore=DL3008,DL3059\nRUN apt-get install -y curl=7.88.1\n"
    found = unused(text, ["RC201"])
    assert len(found) == 1 and found[0][1].startswith("`DL3008` in `# hadolint ignore=DL3008,DL3059`")
    assert unused(text.replace("curl=7.88.1", "curl"), ["RC201"]) == []


def test_ignore_file_and_dangling_pragmas():
    assert [ln for ln, _ in unused("# reprocheck: ignore-file=RC101\n" + BASE, ["RC101"])] == [1]
    assert unused("# reprocheck: ignore-file=RC101\nFROM python\n", ["RC101"]) == []
    # a pragma followed by a blank line applies to nothing
    assert [ln for ln, _ in unused(BASE + "# reprocheck: ignore=RC301\n\nRUN pip install numpy\n", ["RC301"])] == [2]


def _project_lint(make_project, monkeypatch, files: dict[str, str], paths: list[str] | None = None):
    root = make_project({**files, ".git/HEAD": "ref: main\n"})
    monkeypatch.chdir(root)
    report = lint_paths(paths or ["."], LintOptions(select=("RC101", "RC601", "RC902")))
    return sorted((f.location.path, f.location.line) for f in report.active if f.rule == "RC902")


def test_dependency_file_pragmas(make_project, monkeypatch):
    files = {"requirements.txt": "six==1.16.0  # reprocheck: ignore=RC601\nidna>=3  # reprocheck: ignore=RC601\n"}
    assert _project_lint(make_project, monkeypatch, files) == [("requirements.txt", 1)]


def test_per_file_ignores_entries(make_project, monkeypatch):
    config = '[tool.reprocheck]\n[tool.reprocheck.per-file-ignores]\n"legacy/*" = ["RC101"]\n"old/*" = ["RC101"]\n'
    files = {
        "pyproject.toml": config,
        "legacy/Dockerfile": "FROM python\n",
        "old/Dockerfile": BASE,
        "new/Dockerfile": BASE,
    }
    assert _project_lint(make_project, monkeypatch, files) == [("pyproject.toml", 4)]
    # a run over some files only cannot tell whether an entry is needed elsewhere
    assert _project_lint(make_project, monkeypatch, files, ["old/Dockerfile"]) == []


def test_commands_that_cannot_be_identified_leave_their_pragmas_alone():
    text = BASE + "# hadolint ignore=DL3041\nRUN export T=dnf; $T install -y shadow-utils\n"
    assert unused(text, ["RC203"]) == []
    assert unused("# reprocheck: ignore-file=RC203\n" + text.split("\n", 1)[1], ["RC203"]) == []
