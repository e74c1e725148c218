"""One command reads its Dockerfile in several places (lint, the build context, the BuildKit decision,
verify's expectation, smoke's diagnosis); it parses it once (issue 21 item 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reprocheck.model.rule import Stage
from reprocheck.parsing.dockerfile import parse_count, parse_dockerfile
from reprocheck.runtime.options import RunOptions
from reprocheck.runtime.pipeline import run
from tests.support.engine import engine_or_skip, stage


def test_the_same_content_is_parsed_once_under_any_shown_path():
    data = b"FROM python:3.11-slim\nRUN pip install numpy\n"
    before = parse_count()
    a = parse_dockerfile(data, "a/Dockerfile")
    b = parse_dockerfile(bytes(data), "./a/Dockerfile")
    assert parse_count() == before + 1
    assert (a.path, b.path) == ("a/Dockerfile", "./a/Dockerfile")
    assert a.instructions is b.instructions  # the same nodes, not a second parse
    parse_dockerfile(data + b"USER 1000\n", "a/Dockerfile")
    assert parse_count() == before + 2


@pytest.mark.engine
def test_a_check_parses_its_dockerfile_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    engine_or_skip()
    project = stage("iris-clean", tmp_path)
    monkeypatch.setattr("reprocheck.parsing.dockerfile._PARSED", {})  # what earlier tests parsed is forgotten
    before = parse_count()
    report = run(RunOptions(project=project, stages=frozenset({Stage.LINT, Stage.SMOKE, Stage.VERIFY}), gate=True))
    assert {s.name: s.status for s in report.stages}.get("smoke") == "passed", report.notes
    assert parse_count() - before == 1
