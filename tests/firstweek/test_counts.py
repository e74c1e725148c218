"""Item 9 of issue 26: counts and wording that add up, one test each."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from reprocheck.audit import pin_counts
from reprocheck.backend.journal import Journal, describe_runs, read_runs
from reprocheck.cli.fix import fix_summary
from reprocheck.lint.project import DepLoader, build_project
from reprocheck.model.report import Report
from reprocheck.parsing.dockerfile import parse_dockerfile
from reprocheck.report.text import render


def test_fix_counts_findings_edits_and_what_remains_alike_with_and_without_diff():
    # the trial: "would fix 1, 5 findings remain", then "fixed 1, 2 findings remain" for the same project
    # --diff lints the texts it would write, so it counts as the run that writes them does
    would = fix_summary(5, 1, 2, diff=True)
    did = fix_summary(5, 1, 2, diff=False)
    assert would == "5 findings; would make 1 edit, would fix 3, 2 would remain"
    assert did == "5 findings; made 1 edit, fixed 3, 2 remain"
    unknown = fix_summary(5, 1, None, diff=True)  # a lock it would create is not on disk to be linted
    assert unknown.startswith("5 findings; would make 1 edit") and "remain" not in unknown.split("(")[0]
    assert fix_summary(1, 0, 1, diff=False) == "1 finding; made 0 edits, fixed 0, 1 remain"


def test_audit_counts_unpinned_images_as_not_pinned(tmp_path: Path):
    # the trial: "pinned 100%" for a project whose three findings were unpinned images
    text = "FROM python:3.11 AS build\nFROM nginx:1.27\nCOPY --from=busybox:1.36 /bin/sh /sh\n"
    (tmp_path / "Dockerfile").write_text(text)
    project = build_project(parse_dockerfile(text.encode(), "Dockerfile"), tmp_path / "Dockerfile", DepLoader())
    assert pin_counts(project) == (3, 0)


def test_clean_says_whose_runs_are_still_going(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    journal = Journal("run-abc123", "proj-42")
    journal.created("network", "n1")
    states = read_runs()
    lines = describe_runs(["run-abc123", "run-elsewhere"], states)
    assert lines[0] == f"run run-abc123: process {os.getpid()} on {socket.gethostname()}, project proj-42"
    assert "another machine's" in lines[1]
    journal.close()


def test_a_runtime_command_ends_with_what_it_ran():
    # the trial: smoke ended with "No problems in 1 file" after a build and a server run
    report = Report(
        findings=(), rules={}, files=("pyproject.toml",), tool_version="0", notes=("ran: build passed, smoke passed",)
    )
    assert (
        render(report)
        .rstrip()
        .splitlines()[-1]
        .startswith("No problems: build passed, smoke passed (1 file judged). Failure threshold")
    )


def _lint(tmp_path: Path, files: dict[str, str]):
    from reprocheck.lint.run import LintOptions, lint_paths

    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / ".git").mkdir()
    return lint_paths(["."], LintOptions(isolated=True)).active


def test_rc201_names_no_version_of_another_release(tmp_path: Path, monkeypatch):
    # the trial: RC201's example version (bookworm's curl) under a base of another release
    monkeypatch.chdir(tmp_path)
    found = _lint(tmp_path, {"Dockerfile": "FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y libgomp1\n"})
    (rc201,) = [f for f in found if f.rule == "RC201"]
    assert rc201.hint is not None and "`libgomp1=<version>`" in rc201.hint and "deb12" not in rc201.hint
    assert "apt-cache policy libgomp1" in rc201.hint and "base image's own release" in rc201.hint


def test_one_missing_file_is_one_rc705_with_the_right_hint(tmp_path: Path, monkeypatch):
    # the trial: an RC705 on the pip install repeated the COPY's RC705 with "copy the file into the image"
    monkeypatch.chdir(tmp_path)
    digest = "a" * 64
    found = _lint(
        tmp_path,
        {
            "Dockerfile": f"FROM python:3.11@sha256:{digest}\nCOPY requirements.txt ./\n"
            "RUN pip install --require-hashes -r requirements.txt\nUSER 1\n",
            "requirements.txt": f"numpy==1.26.4 --hash=sha256:{'b' * 64}\n",
            ".dockerignore": "requirements.txt\n",
        },
    )
    rc705 = [f for f in found if f.rule == "RC705"]
    assert [f.location.line for f in rc705] == [2] and "add an exception line" in (rc705[0].hint or "")
