"""fixtures/{good,bad}/*: each project through the real CLI, against its expect.toml."""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

PIN_RULES = {
    "DL3006",
    "DL3007",
    "DL3008",
    "DL3013",
    "DL3016",
    "DL3018",
    "DL3028",
    "DL3033",
    "DL3037",
    "DL3041",
    "DL3062",
}
FIXTURES = sorted(
    p for p in (ROOT / "fixtures").glob("*/*") if p.parent.name in ("good", "bad") and (p / "expect.toml").is_file()
)


def _expected(items) -> list[tuple[str, str, int]]:
    return sorted((f["rule"], f.get("file", "Dockerfile"), f["line"]) for f in items)


def _actual(items) -> list[tuple[str, str, int]]:
    return sorted((f["rule"], f["path"], f["line"]) for f in items)


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_lints_as_expected(fixture: Path):
    expect = tomllib.loads((fixture / "expect.toml").read_text())
    r = run_cli("lint", "--format", "json", ".", cwd=fixture)
    assert r.code == expect["exit"], r.err or r.out
    data = json.loads(r.out)
    assert _actual(data["findings"]) == _expected(expect.get("findings", []))
    assert _actual(data["suppressed"]) == _expected(expect.get("suppressed", []))
    if fixture.parent.name == "good":
        assert data["findings"] == []


@pytest.mark.skipif(shutil.which("hadolint") is None, reason="hadolint is not installed")
@pytest.mark.parametrize(
    "fixture", [f for f in FIXTURES if "hadolint-passes-lines" in (f / "expect.toml").read_text()], ids=lambda p: p.name
)
def test_hadolint_passes_what_reprocheck_flags(fixture: Path):
    expect = tomllib.loads((fixture / "expect.toml").read_text())
    out = subprocess.run(
        ["hadolint", "--no-fail", "-f", "json", "Dockerfile"], cwd=fixture, capture_output=True, text=True, check=False
    ).stdout
    flagged = {(f["code"], f["line"]) for f in json.loads(out)}
    for line in expect["hadolint-passes-lines"]:
        assert not any(code in PIN_RULES and ln == line for code, ln in flagged), (line, flagged)
    assert ("DL3013", 10) in flagged  # hadolint does not know reprocheck's pragma; it does see the pin issue
