"""--format html for check, lint and rebuild: the page has what a reader looks for, and a hostile project can
put neither markup nor script into it (checked as text here, and in headless Chromium, which runs the page)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from reprocheck.model.finding import Finding, Severity
from reprocheck.model.location import Location
from reprocheck.model.report import Report, StageResult
from reprocheck.report import renderer
from reprocheck.report.html_kit import esc
from reprocheck.rules import META
from tests.support.browser import dom, screenshot

# every way out of an element or attribute, a script, and bidi controls that reorder what the reader sees
HOSTILE = (
    "<script>document.title='PWNED'</script>",
    "</textarea><img src=x onerror=\"document.title='PWNED'\">",
    '"><svg onload="document.title=\'PWNED\'">',
    "' onmouseover='document.title=1",
    "evil\u202etxt.exe \u2066isolated\u2069",
    "\x1b]52;c;Y2xpcGJvYXJk\x07 clipboard \x9b31m C1",
)


def _report(tmp_path: Path, hostile: str = "") -> Report:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.11-slim\nRUN pip install numpy\nCOPY . /app\n" + f"# {hostile}\n")
    path = str(dockerfile)
    lint = Finding("RC301", Severity.ERROR, f"`numpy` is not pinned {hostile}", Location(path, 2), hint="pin it")
    smoke = META["RC805"].finding(
        Location(str(tmp_path / "golden.json"), 1),
        f"the container's prediction differs {hostile}",
        hint=f"raise rtol {hostile}",
        cause=f"package versions differ {hostile}",
        evidence=(f"numpy: 1.26.4 on the host, 2.0.0 in the image {hostile}",),
        details={
            "differences": [
                {"where": "$.score", "expected": "0.9512", "actual": "0.9498", "tolerance": "rtol 1e-09"},
                {"where": f"$.label{hostile}", "expected": f'"{hostile}"', "actual": '"cat"', "tolerance": ""},
            ],
            "packages": [{"name": "numpy", "host": "1.26.4", "image": "2.0.0"}],
        },
    )
    stages = (
        StageResult("lint", "passed", 0.4, "1 file linted", 1),
        StageResult("build", "passed", 12.0, "built", 0),
        StageResult("smoke", "failed", 3.2, f"prediction differs {hostile}", 1),
        StageResult("verify", "skipped", 0.0, "not asked for", 0, required=False),
    )
    return Report(
        findings=(lint, smoke),
        rules={"RC301": META["RC301"], "RC805": META["RC805"]},
        files=(path,),
        tool_version="0.1.0",
        stages=stages,
        notes=(f"a note {hostile}",),
    )


def test_esc_shows_controls_and_bidi_and_escapes_markup():
    assert esc("<a href='x'>") == "&lt;a href=&#x27;x&#x27;&gt;"
    assert esc("a\x1b[31mb") == "a\\x1b[31mb"
    assert esc("\u202e") == "\\u202e" and esc("\x9b") == "\\x9b"
    assert esc("tab\tand\nnewline") == "tab\tand\nnewline"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_project_text_never_becomes_markup(tmp_path: Path, hostile: str):
    page = renderer("html")(_report(tmp_path, hostile))
    # our own markup only: one style, no script element, no event handler, no raw control or bidi character
    assert page.count("<script") == 0
    assert not re.search(r"<[a-z]+[^>]*\son[a-z]+=", page)
    assert "<img" not in page and "<svg onload" not in page and "<textarea" not in page
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", page)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp and "script-src 'none'" in csp.group(1) and "default-src 'none'" in csp.group(1)


def test_check_page_shows_verdict_stages_excerpt_side_by_side_and_environment(tmp_path: Path):
    page = renderer("html")(_report(tmp_path))
    assert 'class="verdict v-failed" id="verdict">failed<' in page
    assert page.count('<tr class="stage">') == 4 and 'class="s-failed">failed' in page
    assert "<svg" in page  # the stage timings chart
    # the file excerpt around line 2 with that line highlighted
    assert '<span class="hit">   2  RUN pip install numpy</span>' in page
    # the golden and the container's values side by side, differing rows marked, tolerance shown
    assert page.count('<tr class="differs">') == 2
    assert '<td class="val golden">0.9512</td><td class="val container">0.9498</td>' in page
    assert "rtol 1e-09" in page and ">exact<" in page
    assert "<td>package numpy</td><td>1.26.4</td><td>2.0.0</td>" in page
    assert 'href="https://github.com/reprocheck/reprocheck/blob/main/rules/RC805-' in page


def test_a_configured_rule_url_is_where_the_findings_link(tmp_path: Path):
    from dataclasses import replace

    report = replace(_report(tmp_path), rule_url="https://docs.example.org/reprocheck/{id}.html")
    page = renderer("html")(report)
    assert 'href="https://docs.example.org/reprocheck/RC805.html"' in page
    assert "docs.example.org/reprocheck/RC301.html" in renderer("json")(report)


def test_rebuild_findings_are_grouped_by_cause_and_instruction_with_a_tree(tmp_path: Path):
    dockerfile = str(tmp_path / "Dockerfile")
    (tmp_path / "Dockerfile").write_text("FROM x\nRUN pip install a\nRUN date > /stamp\n")
    groups = [
        ("pyc", 2, "RUN pip install a", ["usr/lib/python3/a/__pycache__/x.pyc", "usr/lib/python3/a/__pycache__/y.pyc"]),
        ("mtime", 3, "RUN date > /stamp", ["stamp"]),
    ]
    findings = tuple(
        META["RC820"].finding(
            Location(dockerfile, line),
            f"{len(paths)} files differ",
            details={"cause": cause, "instruction": text, "files": len(paths), "paths": paths},
        )
        for cause, line, text, paths in groups
    )
    report = Report(findings, {"RC820": META["RC820"]}, (dockerfile,), "0.1.0")
    page = renderer("html")(report)
    assert '<section id="rebuild">' in page
    assert "line 2: RUN pip install a" in page and ">pyc<" in page
    # one line for a chain of single directories, then the two files under it
    assert "<li>usr/lib/python3/a/__pycache__/<ul" in page and "<li>x.pyc</li><li>y.pyc</li>" in page


def test_chromium_renders_the_check_page_and_runs_nothing_from_the_project(tmp_path: Path):
    report = _report(tmp_path, " ".join(HOSTILE))
    page = tmp_path / "check.html"
    page.write_text(renderer("html")(report), encoding="utf-8")
    html = dom(page)
    # a script that ran would have renamed the page; an element that was injected would be in the DOM
    assert "<title>reprocheck: failed</title>" in html
    assert html.count('<tr class="stage">') == 4
    assert html.count('<tr class="differs">') == 2
    assert "<img" not in html and "<svg onload" not in html and "<textarea" not in html
    png = screenshot(page, tmp_path / "check.png")
    assert png.stat().st_size > 10_000  # a page was drawn, not a blank one


def test_chromium_renders_the_rebuild_page(tmp_path: Path):
    dockerfile = str(tmp_path / "Dockerfile")
    (tmp_path / "Dockerfile").write_text("FROM x\nRUN pip install a\n")
    finding = META["RC820"].finding(
        Location(dockerfile, 2),
        "2 files differ",
        details={"cause": "pyc", "instruction": "RUN pip install a", "files": 2, "paths": ["a/x.pyc", "a/y.pyc"]},
    )
    page = tmp_path / "rebuild.html"
    page.write_text(renderer("html")(Report((finding,), {"RC820": META["RC820"]}, (dockerfile,), "0.1.0")))
    html = dom(page)
    assert '<section id="rebuild">' in html and '<ul class="tree">' in html and "<li>x.pyc</li>" in html
    screenshot(page, tmp_path / "rebuild.png")


def test_rule_url_from_the_configuration_reaches_text_json_and_sarif(tmp_path: Path):
    from tests.conftest import run_cli

    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\nRUN pip install numpy\n")
    (tmp_path / ".reprocheck.toml").write_text('rule-url = "https://docs.example.org/rc/{id}-{name}"\n')
    text = run_cli("lint", ".", cwd=tmp_path)
    assert "<https://docs.example.org/rc/RC301-pip-install-unpinned>" in text.out
    data = run_cli("lint", ".", "--format", "json", cwd=tmp_path).json()
    assert {f["url"] for f in data["findings"]} >= {"https://docs.example.org/rc/RC301-pip-install-unpinned"}
    sarif = run_cli("lint", ".", "--format", "sarif", cwd=tmp_path).json()
    uris = {r["helpUri"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert "https://docs.example.org/rc/RC301-pip-install-unpinned" in uris
    (tmp_path / ".reprocheck.toml").write_text('select = ["ALL"]\nrule-url = "http://docs.example.org/"\n')
    bad = run_cli("lint", ".", cwd=tmp_path)
    assert bad.code == 2 and ".reprocheck.toml:2" in bad.err and "rule-url" in bad.err


def test_statistics_replace_the_findings_of_check(tmp_path: Path):
    from tests.conftest import run_cli

    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\nRUN pip install numpy\n")
    r = run_cli("check", ".", "--static-only", "--statistics", "--progress", "quiet", cwd=tmp_path)
    lines = r.out.splitlines()
    assert any(line.split()[:2] == ["1", "RC301"] for line in lines), r.out
    assert lines[-1].startswith("Found ") and "hint:" not in r.out


def test_the_excerpt_never_follows_a_link_out_of_the_project(tmp_path: Path):
    secret = tmp_path / "outside.txt"
    secret.write_text("root:x:0:0:SECRET-LINE\n")
    project = tmp_path / "p"
    project.mkdir()
    (project / "requirements.txt").symlink_to(secret)
    os.mkfifo(project / "fifo.txt")
    findings = tuple(
        Finding("RC900", Severity.ERROR, "a link", Location(str(project / name), 1))
        for name in ("requirements.txt", "fifo.txt")
    )
    page = renderer("html")(Report(findings, {"RC900": META["RC900"]}, (), "0.1.0"))
    assert "SECRET-LINE" not in page and 'class="excerpt"' not in page
