"""--baseline / --write-baseline: only new findings are reported, matched by fingerprints that survive
unrelated line shifts."""

from __future__ import annotations

import json

import pytest

from reprocheck.errors import ConfigError, UsageError
from reprocheck.lint.run import LintOptions, lint_paths
from tests.conftest import run_cli

OLD = "FROM python:3.11\nRUN pip install numpy\nRUN pip install numpy\n"


def _lint(**options):
    return lint_paths(["."], LintOptions(isolated=True, **options))


def test_write_then_shift_lines_then_add(make_project, monkeypatch):
    root = make_project({"Dockerfile": OLD, ".git/HEAD": "ref: main\n"})
    monkeypatch.chdir(root)
    written = _lint(write_baseline="baseline.json")
    assert not written.active and written.exit_code == 0  # everything recorded is known
    data = json.loads((root / "baseline.json").read_text())
    assert data["version"] == 1 and {e["rule"] for e in data["findings"]} == {"RC102", "RC301"}
    fps = [e["fingerprint"] for e in data["findings"] if e["rule"] == "RC301"]
    assert len(fps) == len(set(fps)) == 2  # identical lines keep their own fingerprints
    # lines move down; one identical RUN is added; an unrelated new finding appears
    (root / "Dockerfile").write_text(
        "# a comment\n\nFROM python:3.11\nRUN apt-get install -y curl\n"
        + OLD.split("\n", 1)[1]
        + "RUN pip install numpy\n"
    )
    report = _lint(baseline="baseline.json")
    active = sorted((f.rule, f.location.line) for f in report.active)
    assert active == [("RC201", 4), ("RC301", 7)]  # the third identical RUN is new, the first two known
    assert all("baseline" in (f.suppressed_by or "") for f in report.findings if f not in report.active)


def test_changed_line_is_a_new_finding(make_project, monkeypatch):
    root = make_project({"Dockerfile": OLD, ".git/HEAD": "ref: main\n"})
    monkeypatch.chdir(root)
    _lint(write_baseline="b.json")
    (root / "Dockerfile").write_text(OLD.replace("numpy\n", "numpy pandas\n", 1))
    assert [f.location.line for f in _lint(baseline="b.json").active] == [2]


def test_missing_and_malformed_baselines(make_project, monkeypatch):
    files = {"Dockerfile": OLD, "bad.json": "[1]", "notjson.json": "{", "x.json": '{"version": 1}'}
    files["deep.json"] = "[" * 100_000 + "]" * 100_000
    files["nofp.json"] = '{"version": 1, "findings": [{"rule": "RC101"}]}'
    root = make_project(files)
    monkeypatch.chdir(root)
    with pytest.raises(UsageError):
        _lint(baseline="missing.json")
    for name in ("bad.json", "notjson.json", "x.json", "deep.json", "nofp.json"):
        with pytest.raises(ConfigError) as exc:
            _lint(baseline=name)
        assert exc.value.path == name
    with pytest.raises(UsageError):
        _lint(write_baseline="no/such/dir/b.json")


def test_cli_round_trip(make_project):
    root = make_project({"Dockerfile": OLD, ".git/HEAD": "ref: main\n"})
    first = run_cli("lint", "--isolated", "--write-baseline", "b.json", ".", cwd=root)
    assert first.code == 0, first.err
    again = run_cli("lint", "--isolated", "--baseline", "b.json", "-f", "json", ".", cwd=root)
    assert again.code == 0 and again.json()["findings"] == []
    text = run_cli("lint", "--isolated", "--baseline", "b.json", ".", cwd=root)
    assert "3 known from the baseline" in text.out and "pragmas" not in text.out
    plain = run_cli("lint", "--isolated", "-f", "json", ".", cwd=root)
    assert plain.code == 1 and all(f["fingerprint"] for f in plain.json()["findings"])
