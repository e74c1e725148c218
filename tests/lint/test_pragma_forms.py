"""Pragmas as hadolint users write them: every form hadolint's own parser accepts (the forms below are those of
hadolint's README and test/Hadolint/PragmaSpec.hs), a reason after a second `#`, the comments that look like a
pragma and are not one (RC901, with why), `disallow-inline-ignores` (RC903) and `--exit-zero`."""

from __future__ import annotations

import json

import pytest

from reprocheck.lint.run import LintOptions, lint_paths
from reprocheck.model.report import Report

PIN = "FROM python:3.11.9-slim@sha256:" + "1" * 64 + "\n"
RUN = "RUN pip install numpy\n"  # RC301 (hadolint DL3013)


def _lint(make_project, monkeypatch, files: dict[str, str], **options: object) -> Report:
    root = make_project({".git/HEAD": "ref: main\n", **files})
    monkeypatch.chdir(root)
    isolated = not any(name.endswith((".toml", ".yaml")) for name in files)
    return lint_paths(["."], LintOptions(isolated=isolated, select=("RC301", "RC9"), **options))  # type: ignore[arg-type]


def _rules(report: Report) -> list[tuple[str, int]]:
    return [(f.rule, f.location.line) for f in report.active]


# ---- every inline form hadolint accepts suppresses the next instruction

INLINE_FORMS = [
    "# hadolint ignore=DL3013",  # README
    "# hadolint ignore=DL3013 ",  # PragmaSpec: "pragma followed just by space"
    "# hadolint ignore=DL3013 # foobar",  # PragmaSpec: "ignore pragma with comment"
    "# hadolint ignore=DL3013  # base pinned upstream",  # the form: two spaces, then the reason
    "# hadolint ignore=DL3013,SC1035 # We accept these issues, because ...",  # README
    "# hadolint ignore=DL3008,DL3013",  # PragmaSpec: "when multiple passed"
    "# hadolint ignore=DL3008, DL3013",  # PragmaSpec: "even with some extra whitespace"
    "# hadolint ignore = DL3008 , DL3013",
    "#hadolint ignore=DL3013",  # no space after `#`
    "# hadolint\tignore=DL3013",  # a tab is a space to hadolint
    "#   hadolint   ignore=DL3013",
    "# reprocheck: ignore=RC301  # reviewed: numpy comes from the lock below",
]


@pytest.mark.parametrize("pragma", INLINE_FORMS)
def test_inline_forms_hadolint_accepts_are_honoured(make_project, monkeypatch, pragma: str):
    report = _lint(make_project, monkeypatch, {"Dockerfile": PIN + pragma + "\n" + RUN})
    assert _rules(report) == []
    suppressed = [f for f in report.findings if f.rule == "RC301"]
    assert len(suppressed) == 1 and (suppressed[0].suppressed_by or "").startswith("pragma `#")


GLOBAL_FORMS = [
    "# hadolint global ignore=DL3013",  # PragmaSpec
    "# hadolint global ignore = DL3023 , DL3013",  # PragmaSpec: "even with some extra whitespace"
    "# hadolint global ignore=DL3003,DL3013,SC1035 # We accept these issues, because ...",  # README
    "# reprocheck: ignore-file=RC301  # whole file reviewed",
]


@pytest.mark.parametrize("pragma", GLOBAL_FORMS)
def test_global_forms_cover_the_whole_file(make_project, monkeypatch, pragma: str):
    text = pragma + "\n" + PIN + RUN + "RUN echo hi\n" + RUN
    report = _lint(make_project, monkeypatch, {"Dockerfile": text})
    assert _rules(report) == []
    assert sum(1 for f in report.findings if f.rule == "RC301") == 2


def test_stage_pragma_covers_its_stage_only(make_project, monkeypatch):
    # PragmaSpec: "stage ignore rule, but catch it in different stage"
    text = "# hadolint stage ignore=DL3013\n" + PIN + RUN + PIN + RUN
    assert _rules(_lint(make_project, monkeypatch, {"Dockerfile": text})) == [("RC301", 5)]
    text = PIN + RUN + "# hadolint stage ignore=DL3013 # second stage reviewed\n" + PIN + RUN
    assert _rules(_lint(make_project, monkeypatch, {"Dockerfile": text})) == [("RC301", 2)]


def test_the_reason_reaches_the_reports(make_project, monkeypatch):
    from reprocheck.report import renderer

    text = PIN + "# hadolint ignore=DL3013  # base pinned upstream\n" + RUN
    report = _lint(make_project, monkeypatch, {"Dockerfile": text})
    why = "pragma `# hadolint ignore=DL3013` (line 2), reason: base pinned upstream"
    assert {f.suppressed_by for f in report.findings if f.rule == "RC301"} == {why}
    assert why in {f["suppressed_by"] for f in json.loads(renderer("json")(report))["suppressed"]}
    sarif = json.loads(renderer("sarif")(report))["runs"][0]["results"]
    assert {"kind": "inSource", "justification": why} in [s for r in sarif for s in r.get("suppressions", [])]
    assert "reason: base pinned upstream" in renderer("junit")(report)
    assert f"suppressed: Dockerfile:3 RC301 by {why}\n" in renderer("text")(report)


def test_shell_pragma_and_plain_comments_are_not_reported(make_project, monkeypatch):
    text = "# hadolint shell=powershell # foobar\n# hadolint is what we used before\n# reprocheck checks this\n"
    report = _lint(make_project, monkeypatch, {"Dockerfile": text + PIN + RUN})
    assert _rules(report) == [("RC301", 5)]


# ---- comments that look like pragmas and are not: RC901 with why, and nothing suppressed

NOT_PRAGMAS = [
    ("# hadolint: ignore=DL3013", "take no colon"),
    ("# hadolint ignore DL3013", "must be followed by `=`"),
    ("# hadolint ignore=DL3013 base pinned upstream", "must start with its own `#`"),
    ("# hadolint ignore=crazy,DL3013", "`crazy` is not a hadolint rule code"),  # PragmaSpec: invalid names
    ("# hadolint ignore=", "no rule after `=`"),
    ("# hadolint disable=DL3013", "`disable` is not a pragma keyword"),
    ("# reprocheck ignore=RC301", "need a colon"),
    ("# reprocheck: disable=RC301", "`disable` is not a pragma keyword"),
    ("# reprocheck: ignore=RC999", "names no reprocheck rule"),
]


@pytest.mark.parametrize(("comment", "why"), NOT_PRAGMAS)
def test_lookalikes_are_reported_with_why(make_project, monkeypatch, comment: str, why: str):
    report = _lint(make_project, monkeypatch, {"Dockerfile": PIN + comment + "\n" + RUN})
    rc901 = [f for f in report.active if f.rule == "RC901"]
    assert len(rc901) == 1 and rc901[0].location.line == 2
    assert why in rc901[0].message, rc901[0].message
    assert ("RC301", 3) in _rules(report)  # and the finding stays


def test_stage_pragma_not_above_a_from_is_reported(make_project, monkeypatch):
    report = _lint(make_project, monkeypatch, {"Dockerfile": PIN + "# hadolint stage ignore=DL3013\n" + RUN})
    assert ("RC301", 3) in _rules(report)
    assert [f.message for f in report.active if f.rule == "RC901"] == [
        "`# hadolint stage ignore=DL3013` is not a pragma: a `stage` pragma must stand right above a FROM"
    ]


def test_lookalike_in_a_dependency_file(make_project, monkeypatch):
    files = {
        "Dockerfile": PIN + "COPY requirements.txt .\nRUN pip install --require-hashes -r requirements.txt\n",
        "requirements.txt": "numpy  # reprocheck ignore=RC601\n",
    }
    report = _lint(make_project, monkeypatch, files)
    assert [(f.rule, f.location.path, f.location.line) for f in report.active if f.rule == "RC901"] == [
        ("RC901", "requirements.txt", 1)
    ]


# ---- disallow-inline-ignores: every pragma refused and reported (RC903)


@pytest.mark.parametrize(
    "config",
    [
        {".reprocheck.toml": "disallow-inline-ignores = true\n"},
        {"pyproject.toml": "[tool.reprocheck]\ndisallow-inline-ignores = true\n"},
        {".hadolint.yaml": "disable-ignore-pragma: true\n"},  # hadolint's own switch, mapped
    ],
)
def test_disallow_inline_ignores(make_project, monkeypatch, config: dict[str, str]):
    text = "# hadolint global ignore=DL3008\n" + PIN + "# hadolint ignore=DL3013  # trust me\n" + RUN
    report = _lint(make_project, monkeypatch, {"Dockerfile": text, **config})
    assert sorted(_rules(report)) == [("RC301", 4), ("RC903", 1), ("RC903", 3)]
    refused = [f for f in report.active if f.rule == "RC903"]
    assert all("disallow-inline-ignores" in f.message for f in refused)
    assert not any(f.suppressed_by for f in report.findings)
    assert report.exit_code == 1


def test_disallow_inline_ignores_in_dependency_files(make_project, monkeypatch):
    files = {
        ".reprocheck.toml": "disallow-inline-ignores = true\nselect = ['RC6', 'RC9']\n",
        "Dockerfile": PIN + "COPY requirements.txt .\nRUN pip install -r requirements.txt\n",
        "requirements.txt": "numpy==1.26.4  # reprocheck: ignore=RC6  # hashes come later\n",
    }
    root = make_project({".git/HEAD": "ref: main\n", **files})
    monkeypatch.chdir(root)
    report = lint_paths(["."], LintOptions())
    assert ("RC903", 1) in [(f.rule, f.location.line) for f in report.active if f.location.path == "requirements.txt"]
    assert not any(f.suppressed_by for f in report.findings)


def test_config_can_turn_it_off_where_hadolint_turns_it_on(make_project, monkeypatch):
    files = {
        ".hadolint.yaml": "disable-ignore-pragma: true\nno-fail: true\n",
        ".reprocheck.toml": "disallow-inline-ignores = false\nexit-zero = false\n",
        "Dockerfile": PIN + "# hadolint ignore=DL3013\n" + RUN + RUN,
    }
    report = _lint(make_project, monkeypatch, files)
    assert _rules(report) == [("RC301", 4)] and report.exit_code == 1


# ---- --exit-zero


def test_exit_zero_reports_and_passes(make_project, monkeypatch, capsys):
    from reprocheck.cli.app import main

    root = make_project({".git/HEAD": "ref: main\n", "Dockerfile": "FROM python\n"})
    monkeypatch.chdir(root)
    assert main(["lint", "--isolated", "-f", "concise", "."]) == 1
    assert main(["lint", "--isolated", "--exit-zero", "-f", "concise", "."]) == 0
    assert "Dockerfile:1:" in capsys.readouterr().out
    (root / ".reprocheck.toml").write_text("exit-zero = true\n")
    assert main(["lint", "-f", "json", "."]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["failed"] is True  # the verdict is still told
    (root / ".reprocheck.toml").unlink()
    (root / ".hadolint.yaml").write_text("no-fail: true\n")
    assert main(["lint", "."]) == 0
    assert main(["lint", "--does-not-exist", "."]) == 2  # usage errors still fail


def test_check_exit_zero(make_project, monkeypatch, capsys):
    from reprocheck.cli.app import main

    root = make_project({".git/HEAD": "ref: main\n", "Dockerfile": "FROM python\n"})
    monkeypatch.chdir(root)
    assert main(["check", "--static-only", "--isolated", "--progress", "quiet", "-f", "json", "."]) == 1
    capsys.readouterr()
    assert main(["check", "--static-only", "--isolated", "--exit-zero", "--progress", "quiet", "-f", "azure", "."]) == 0
    out = capsys.readouterr().out
    assert "RC101" in out and out.splitlines()[-1].startswith("##vso[task.complete result=SucceededWithIssues;]")
