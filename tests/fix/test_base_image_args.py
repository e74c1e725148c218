"""RC103: the base image's build argument gets the default the project declares (the smoke spec's build args,
what `check` builds with), and nothing is guessed when there is none."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli

PINNED = "python:3.11.9-slim@sha256:" + "1" * 64
DOCKERFILE = "# the base comes from CI\r\nARG BASE\r\nFROM ${BASE} AS base\r\nRUN true\r\n"


def _config(build_args: str) -> str:
    return f'[smoke]\ncommand = ["python", "predict.py"]\ngolden = "golden.json"\nbuild-args = {{ {build_args} }}\n'


def _rc103(project: Path, *args: str) -> list[tuple[int, str]]:
    r = run_cli("fix", "--select", "RC103", "--format", "json", *args, ".", cwd=project)
    return [(f["line"], f.get("hint") or "") for f in json.loads(r.out)["findings"]]


def test_the_declared_pinned_value_becomes_the_default(make_project):
    config = _config(f'BASE = "{PINNED}"')
    files = {"p/Dockerfile": DOCKERFILE.encode(), "p/reprocheck.toml": config, "p/golden.json": "1"}
    project = make_project(files) / "p"
    assert _rc103(project) == []  # a safe fix: written without --unsafe-fixes
    assert (project / "Dockerfile").read_bytes() == DOCKERFILE.replace("ARG BASE", f"ARG BASE={PINNED}").encode()
    again = run_cli("fix", "--diff", ".", cwd=project)
    assert again.out == ""


def test_no_declared_value_leaves_the_finding_with_why(make_project):
    project = make_project({"p/Dockerfile": DOCKERFILE}) / "p"
    ((line, hint),) = _rc103(project)
    assert line == 3
    assert "declares no value" in hint
    assert (project / "Dockerfile").read_bytes() == DOCKERFILE.encode()


def test_an_unpinned_declared_value_or_isolated_is_not_written(make_project):
    files = {"p/Dockerfile": DOCKERFILE, "p/reprocheck.toml": _config('BASE = "python:3.11"'), "p/golden.json": "1"}
    project = make_project(files) / "p"
    ((_, hint),) = _rc103(project)
    assert "BASE=python:3.11, not pinned by digest" in hint
    (project / "reprocheck.toml").write_text(_config(f'BASE = "{PINNED}"'))
    ((_, hint),) = _rc103(project, "--isolated")
    assert "--isolated" in hint
    assert (project / "Dockerfile").read_bytes() == DOCKERFILE.encode()
