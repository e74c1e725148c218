"""audit for people and for CI fan-out: the HTML page (table, charts, trend), --history, --statistics, the job
matrix of --list, and --merge of the jobs' reports."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from reprocheck import audit_history
from reprocheck.audit_fanout import merge, slug
from reprocheck.model.audit import Row
from tests.conftest import corpus_or_skip, run_cli
from tests.support.browser import dom, screenshot

PROJECTS = {
    "svc/Dockerfile": "FROM python:3.11-slim\nRUN pip install numpy\n",
    "api/Dockerfile": "FROM python:3.11-slim@sha256:" + "a" * 64 + "\nRUN pip install numpy==2.0.0\n",
    "evil<script>alert(1)</script>/Dockerfile": "FROM debian:latest\n",
}


@pytest.fixture
def projects(make_project) -> Path:
    root: Path = make_project(PROJECTS)
    return root


def test_audit_html_has_the_table_the_charts_and_the_trend(projects: Path, tmp_path: Path):
    history = tmp_path / "history.jsonl"
    for _ in range(3):
        r = run_cli("audit", ".", "--format", "html", "--output", "audit.html", "--history", str(history), cwd=projects)
        assert r.code == 1, r.err
    lines = history.read_text().splitlines()
    assert len(lines) == 3 and all(set(json.loads(x)["projects"]) == set(PROJECTS) for x in lines)
    page = (projects / "audit.html").read_text()
    assert page.count('<tr class="project">') == 3
    assert '<section id="pinned">' in page and '<section id="families">' in page
    assert '<section id="trend"><h2>Trend over 3 recorded runs' in page
    assert "<script>alert(1)" not in page and "evil&lt;script&gt;" in page
    html = dom(projects / "audit.html")
    # our sort script is allowed by its hash and ran (it styles the headers); the project's did not
    assert "cursor: pointer" in html
    assert "<script>alert" not in html
    assert html.count('class="chart') >= 3
    screenshot(projects / "audit.html", tmp_path / "audit.png")


def test_history_skips_what_an_audit_did_not_write_and_refuses_special_files(tmp_path: Path):
    path = tmp_path / "h.jsonl"
    good = json.dumps(audit_history.entry([Row("a/Dockerfile", "a", errors=2, installs=4, pinned=1)], str(tmp_path)))
    path.write_text(
        "\n".join(
            [
                good,
                "[" * 100_000 + "]" * 100_000,  # deep
                '{"projects": {"x": {"errors": 1e300}}}',  # not a count
                "not json",
                '{"projects": {"x": {"errors": -1}}}',
                good,
            ]
        )
        + "\n"
    )
    runs, skipped = audit_history.read(str(path))
    assert [r.errors for r in runs] == [2, 2] and skipped == 4
    assert runs[0].pinned_share == 0.25
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "Dockerfile").write_text("FROM scratch\n")
    r = run_cli("audit", str(tmp_path / "p"), "--history", str(fifo), cwd=tmp_path)
    assert r.code == 2 and "history file" in r.err and "Traceback" not in r.err


def test_statistics_count_findings_per_rule(projects: Path):
    r = run_cli("lint", ".", "--statistics", "--isolated", cwd=projects)
    assert r.code == 1
    counts = {line.split()[1]: int(line.split()[0]) for line in r.out.splitlines()[:-1]}
    assert counts == {"RC101": 1, "RC102": 1, "RC301": 1}
    assert r.out.splitlines()[-1].startswith(f"Found {sum(counts.values())} problems from {len(counts)} rules")
    a = run_cli("audit", ".", "--statistics", cwd=projects)
    rows = {line.split()[1]: line for line in a.out.splitlines()}
    assert rows["RC102"].split()[0] == "1" and "in 1 of 3 projects" in rows["RC102"]


def test_list_prints_a_matrix_each_ci_reads(projects: Path):
    gh = run_cli("audit", ".", "--list", "--format", "github-matrix", cwd=projects)
    assert gh.code == 0 and gh.out.count("\n") == 1  # one line for $GITHUB_OUTPUT
    include = json.loads(gh.out)["include"]
    assert {e["project"] for e in include} == set(PROJECTS)
    assert all(e["report"] == slug(e["project"]) and e["dir"] == str(Path(e["project"]).parent) for e in include)
    assert len({e["report"] for e in include}) == 3
    gl = run_cli("audit", ".", "--list", "--format", "gitlab-matrix", cwd=projects)
    pipeline = yaml.safe_load(gl.out)
    job = pipeline["reprocheck-check-1"]
    assert {v["DOCKERFILE"] for v in job["parallel"]["matrix"]} == set(PROJECTS)
    assert "reprocheck check" in job["script"][0]
    assert pipeline["stages"] == ["check", "merge"]
    assert "--merge ." in pipeline["reprocheck-merge"]["script"][0]
    bad = run_cli("audit", ".", "--format", "github-matrix", cwd=projects)
    assert bad.code == 2 and "--list" in bad.err


def _check_report(path: Path, findings: list[dict[str, str]], stages: dict[str, str], verdict: str) -> None:
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "summary": {"failure_threshold": "warning", "verdict": verdict},
                "stages": [{"name": k, "status": v} for k, v in {"lint": "passed", **stages}.items()],
                "findings": findings,
            }
        )
    )


def test_merge_takes_only_the_runtime_stages_from_each_report(tmp_path: Path):
    rows = [
        Row("a/Dockerfile", "a", warnings=1, installs=2, pinned=2, rules={"RC301": 1}),
        Row("b/Dockerfile", "b"),
        Row("c/Dockerfile", "c"),
        Row("d/Dockerfile", "d"),
    ]
    reports = tmp_path / "reports"
    reports.mkdir()
    lint_finding = {"rule": "RC301", "severity": "warning"}  # counted by the local lint already
    _check_report(
        reports / slug("a/Dockerfile"),
        [lint_finding, {"rule": "RC805", "severity": "error"}],
        {"build": "passed", "smoke": "failed", "verify": "passed"},
        "failed",
    )
    _check_report(reports / slug("b/Dockerfile"), [lint_finding], {"build": "passed", "smoke": "passed"}, "failed")
    (reports / slug("c/Dockerfile")).write_text("[" * 50_000)
    merged = {r.project: r for r in merge(rows, sorted(reports.iterdir()))}
    a = merged["a/Dockerfile"]
    assert (a.errors, a.warnings, a.verdict) == (1, 1, "fail")
    assert a.rules == {"RC301": 1, "RC805": 1} and a.stages == {
        "build": "passed",
        "smoke": "failed",
        "verify": "passed",
    }
    # b failed only by lint findings that the local lint did not see: the runtime stages passed
    assert merged["b/Dockerfile"].verdict == "pass" and merged["b/Dockerfile"].errors == 0
    assert merged["c/Dockerfile"].verdict == "error" and "not JSON" in (merged["c/Dockerfile"].error or "")
    assert merged["d/Dockerfile"].verdict == "incomplete" and slug("d/Dockerfile") in (
        merged["d/Dockerfile"].error or ""
    )


@pytest.mark.corpus
def test_audit_html_of_the_corpus_is_small(tmp_path: Path):
    corpus_dir = corpus_or_skip()
    out = tmp_path / "corpus.html"
    r = run_cli("audit", str(corpus_dir), "--format", "html", "--output", str(out))
    assert r.code in (0, 1), r.err
    assert 0 < out.stat().st_size < 5 * 1024 * 1024
    assert out.read_text().count('<tr class="project">') > 700
