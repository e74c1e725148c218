"""reprocheck audit --check: build, smoke and verify each project a few at a time, on the engine DOCKER_HOST
names (here a TCP endpoint in front of the local engine, as a build farm would be)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.support.engine import engine_or_skip, stage
from tests.support.tcp_proxy import engine_over_tcp

pytestmark = pytest.mark.engine


def test_audit_check_runs_every_stage_on_the_engine_docker_host_names(tmp_path: Path):
    engine_or_skip()
    root = tmp_path / "projects"
    root.mkdir()
    stage("iris-clean", root)
    stage("drifted", root, group="verify")
    shutil.rmtree(root / "iris-clean" / "golden")  # no golden: the smoke spec cannot run -> the row says error
    stage("version-drift", root)
    with engine_over_tcp() as (host, connections):
        r = run_cli(
            "audit",
            ".",
            "--check",
            "--jobs",
            "2",
            "--format",
            "json",
            "--progress",
            "plain",
            cwd=root,
            env={"DOCKER_HOST": host},
        )
        assert connections, "nothing went through DOCKER_HOST"
    data = json.loads(r.out)
    rows = {p["project"]: p for p in data["projects"]}
    assert r.code == 1, r.err
    assert rows["drifted/Dockerfile"]["verdict"] == "fail"
    assert rows["drifted/Dockerfile"]["stages"] == {
        "build": "passed",
        "smoke": "skipped",
        "verify": "failed",
        "rebuild": "skipped",
    }
    assert {"RC811", "RC812", "RC815"} <= set(rows["drifted/Dockerfile"]["rules"])
    assert rows["version-drift/Dockerfile"]["stages"]["smoke"] == "failed"
    assert rows["version-drift/Dockerfile"]["rules"]["RC805"] == 1
    assert rows["iris-clean/Dockerfile"]["verdict"] == "error"
    assert "record" in rows["iris-clean/Dockerfile"]["error"]
    assert f"at {host}" in r.err


def test_audit_merge_of_the_jobs_reports_equals_audit_check(tmp_path: Path):
    """The fan-out over CI runners: `audit --list` names the jobs, each runs `check` and writes its report, and
    `audit --merge` of those reports gives the rows, table and exit code of a single-machine `audit --check`."""
    engine_or_skip()
    root = tmp_path / "projects"
    root.mkdir()
    stage("iris-clean", root)
    stage("drifted", root, group="verify")
    stage("version-drift", root)
    listed = run_cli("audit", ".", "--list", "--format", "json", cwd=root)
    assert listed.code == 0, listed.err
    jobs = json.loads(listed.out)["projects"]
    reports = tmp_path / "reports"
    reports.mkdir()
    for job in jobs:  # what each CI job runs
        r = run_cli(
            "check",
            job["dir"],
            "--dockerfile",
            job["project"],
            "--format",
            "json",
            "--output",
            str(reports / job["report"]),
            "--progress",
            "quiet",
            cwd=root,
        )
        assert r.code in (0, 1), r.err
    merged = run_cli("audit", ".", "--format", "json", "--merge", str(reports), cwd=root)
    direct = run_cli("audit", ".", "--check", "--format", "json", "--progress", "quiet", cwd=root)
    assert merged.code == direct.code == 1, (merged.err, direct.err)

    def rows(text: str) -> list[dict[str, object]]:
        return [{k: v for k, v in p.items() if k != "seconds"} for p in json.loads(text)["projects"]]

    assert rows(merged.out) == rows(direct.out)
    assert {p["verdict"] for p in json.loads(merged.out)["projects"]} == {"pass", "fail"}
