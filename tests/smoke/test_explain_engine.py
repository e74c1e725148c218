"""Failures nobody listed in advance, end to end on the real engine (issue 25): each fixture works on this
machine (recorded with `record`), really breaks in the container, and the finding names the fact from both
sides (the probe run once on the host and once in the image) and the fix in the image's own terms.

Every test touches only its own objects: the images of its fixtures (removed at the end when this module
built them) and the containers of those images (asserted gone)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.support.engine import engine_or_skip, expected, fixture_containers, removing_new_fixture_images, stage

pytestmark = pytest.mark.engine

# fixture -> the environment of the developer's machine when recording
FIXTURES = {
    "editable-src-layout": {},  # plus a venv with the project installed editable (see _editable_venv)
    "libgomp-missing": {},
    "env-variant": {"CHURN_VARIANT": "large"},
    "missing-executable": {},
    "unreadable-model": {},
    "unknown-uid": {},
    "shebang-python": {},
    "home-cache": {},  # the sandbox exposed it: a uid without a home
    "file-differs": {},  # no crash: a file the code opens has other bytes in the image
}


@pytest.fixture(scope="module")
def backend() -> Iterator[object]:
    engine = engine_or_skip()
    with removing_new_fixture_images(engine, FIXTURES):
        yield engine


def _editable_venv(project: Path, venv: Path) -> Path:
    """A venv with the project installed editable, file for file as `pip install -e .` with hatchling leaves
    it: a .pth naming src/, and a dist-info whose direct_url.json says editable."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site,) = venv.glob("lib/python3*/site-packages")
    (site / "_churnscore.pth").write_text(str(project / "src") + "\n")
    info = site / "churnscore-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: churnscore\nVersion: 0.1.0\n")
    (info / "INSTALLER").write_text("pip\n")
    (info / "direct_url.json").write_text(json.dumps({"url": project.as_uri(), "dir_info": {"editable": True}}))
    (info / "RECORD").write_text(
        "_churnscore.pth,,\nchurnscore-0.1.0.dist-info/METADATA,,\nchurnscore-0.1.0.dist-info/RECORD,,\n"
    )
    return venv / "bin"


def _record(project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in FIXTURES["env-variant"]}
    return subprocess.run(
        [sys.executable, "-m", "reprocheck", "record"],
        cwd=project,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _said(finding: dict[str, Any]) -> str:
    """Everything a reader sees of one finding, in one text."""
    parts = [finding["message"], finding.get("hint") or "", finding.get("cause") or "", *finding.get("evidence", [])]
    return "\n".join(parts)


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_the_finding_names_the_fact_of_both_sides_and_the_fix(name: str, backend: Any, tmp_path: Path) -> None:
    project = stage(name, tmp_path)
    env = dict(FIXTURES[name])
    if name == "editable-src-layout":
        env["PATH"] = f"{_editable_venv(project, tmp_path / 'venv')}:{os.environ['PATH']}"
    rec = _record(project, env)  # it really works on this machine
    assert rec.returncode == 0, rec.stderr
    expect = expected(project)
    r = run_cli("smoke", "--progress", "quiet", "--format", "json", cwd=project, env=env)
    assert r.code == expect["exit"], r.err[-3000:] + r.out[-3000:]
    findings = json.loads(r.out)["findings"]
    assert [f["rule"] for f in findings] == expect["rules"]
    (finding,) = findings
    text = _said(finding)
    for phrase in list(expect.get("says", [])):  # type: ignore[call-overload]
        assert phrase in text, (phrase, text)
    details = finding["details"]
    assert details["certainty"] == "observed on both sides"
    fact = details["fact"]  # the deciding fact, with both sides' values
    assert fact["host"] and fact["image"] and fact["fix"], fact
    assert fixture_containers(backend, name) == []


def test_a_passing_run_pays_nothing_for_the_diagnosis(backend: Any, tmp_path: Path) -> None:
    """Recorded without the variable, env-variant passes: no probe runs and the diagnosis is not even
    imported (python -X importtime lists every module the run imported)."""
    project = stage("env-variant", tmp_path)
    assert _record(project, {}).returncode == 0
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "reprocheck", "smoke", "--progress", "quiet"],
        cwd=project,
        env={k: v for k, v in os.environ.items() if k != "CHURN_VARIANT"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time")}
    assert "reprocheck.smoke.runner" in imported
    for module in ("reprocheck.smoke.facts", "reprocheck.smoke.differential", "reprocheck.smoke.diagnose"):
        assert module not in imported, module
    assert fixture_containers(backend, "env-variant") == []
