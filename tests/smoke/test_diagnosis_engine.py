"""Each "works on my machine" cause, end to end on the real engine: recorded on this machine with `record`,
broken in the container, and explained with the cause and its evidence (issues 11 and 16).

Every test touches only its own objects: the images of its fixtures (removed at the end when this module
built them) and the containers of those images (asserted gone)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.support.engine import engine_or_skip, expected, fixture_containers, removing_new_fixture_images, stage

pytestmark = pytest.mark.engine

# fixture -> the environment of the developer's machine when recording (None: the committed golden, made in
# a venv of the fixture's wheels by the same `record`)
SMOKE = {
    "timezone": {"TZ": "Europe/Berlin"},
    "set-order": {"PYTHONHASHSEED": "0"},
    "unseeded-random": {},
    "missing-env-var": {"MODEL_THRESHOLD": "0.7"},
    "workdir-relative": {},
    "float-noise": {"PYTHONHASHSEED": "0"},
    "file-excluded": {},
    "floating-transitive": None,
    "numpy-abi": None,
    "build-explains-early": None,
}
VERIFY = ("tool-pulls-deps", "uv-platform-marker")
MINE = (*SMOKE, *VERIFY, "console-script-server")


@pytest.fixture(scope="module")
def backend() -> Iterator[object]:
    engine = engine_or_skip()
    with removing_new_fixture_images(engine, MINE):
        yield engine


def _record(project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("TZ", "PYTHONHASHSEED", "MODEL_THRESHOLD")}
    return subprocess.run(
        [sys.executable, "-m", "reprocheck", "record"],
        cwd=project,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("name", sorted(SMOKE))
def test_each_cause_is_named_with_its_evidence(name: str, backend, tmp_path: Path):
    project = stage(name, tmp_path)
    host_env = SMOKE[name]
    if host_env is not None and name != "file-excluded":
        rec = _record(project, host_env)  # it really works on this machine
        assert rec.returncode == 0, rec.stderr
        record = json.loads((project / "golden" / "predictions.json.env.json").read_text())
        assert record["determinism"]["deterministic"] is (name != "unseeded-random")
        if name == "unseeded-random":
            assert "RC808" in rec.stderr and "$.confidence[*]" in rec.stderr
    expect = expected(project)
    r = run_cli("smoke", "--progress", "quiet", "--format", "json", cwd=project)
    assert r.code == expect["exit"], r.err[-3000:] + r.out[-3000:]
    data = json.loads(r.out)
    assert [f["rule"] for f in data["findings"]] == expect["rules"]
    text = json.dumps(data)
    for phrase in list(expect.get("says", [])):  # type: ignore[call-overload]
        assert phrase in text, (phrase, data["findings"])
    for finding in data["findings"]:
        if finding["rule"] in ("RC802", "RC805", "RC808"):
            assert finding["cause"] and finding["evidence"], finding
            assert finding["details"]["image_record"]["interpreter"]["version"].startswith("3.11")
    assert fixture_containers(backend, name) == []


def test_a_transitive_version_difference_names_the_package_and_who_requires_it(backend, tmp_path: Path):
    project = stage("floating-transitive", tmp_path)
    r = run_cli("smoke", "--progress", "quiet", "--format", "json", cwd=project)
    (finding,) = r.json()["findings"]
    featurekit = next(p for p in finding["details"]["packages"] if p["name"] == "featurekit")
    assert featurekit == {
        "name": "featurekit",
        "host": "1.0.0",
        "image": "1.1.0",
        "required_by": ["mylib"],
        "installer": "pip",
    }
    for fmt, needle in (("sarif", '"cause": "package versions differ"'), ("markdown", "**cause:** package")):
        out = run_cli("smoke", "--progress", "quiet", "--format", fmt, cwd=project)
        assert needle in out.out, out.out[-2000:]


def test_a_console_script_server_is_recorded_in_its_own_venv(backend, tmp_path: Path):
    """`serve-model` (a console script, as uvicorn and waitress-serve are): the record describes the venv its
    shebang names, not reprocheck's interpreter; smoke then passes in the image."""
    project = stage("console-script-server", tmp_path)
    (project / "golden" / "predictions.json").unlink()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index", "--find-links"]
    subprocess.run(
        [*pip, str(project / "wheels"), "servekit==1.0.0"], check=True, env={**os.environ, "PIP_CONSTRAINT": ""}
    )
    rec = _record(project, {"PATH": f"{venv / 'bin'}:{os.environ['PATH']}"})
    assert rec.returncode == 0, rec.stderr
    record = json.loads((project / "golden" / "predictions.json.env.json").read_text())
    assert record["interpreter"]["executable"] == str(venv / "bin" / "python")
    assert record["interpreter"]["resolved_from"] == f"the shebang of {venv / 'bin' / 'serve-model'}"
    assert record["packages"] == {"servekit": "1.0.0"}
    assert "typer" not in record["distributions"]  # reprocheck's own environment is not described
    r = run_cli("smoke", "--progress", "quiet", "--format", "json", cwd=project)
    assert r.code == 0, r.out[-2000:] + r.err[-2000:]
    # a changed golden: the diagnosis probes the image through the same console script
    (project / "golden" / "predictions.json").write_text('{"scores": [1.0, 5.0]}')
    r = run_cli("smoke", "--progress", "quiet", "--format", "json", cwd=project)
    (finding,) = r.json()["findings"]
    image = finding["details"]["image_record"]["interpreter"]
    assert image["resolved_from"] == "the shebang of /opt/venv/bin/serve-model" and image["venv"] is True
    assert fixture_containers(backend, "console-script-server") == []


@pytest.mark.parametrize("name", VERIFY)
def test_verify_attributes_and_evaluates_markers(name: str, backend, tmp_path: Path):
    project = stage(name, tmp_path, group="verify")
    expect = expected(project)
    r = run_cli("verify", "--progress", "quiet", "--format", "json", cwd=project)
    assert r.code == expect["exit"], r.err[-3000:] + r.out[-3000:]
    findings = r.json()["findings"]
    assert [f["rule"] for f in findings] == expect["rules"]
    for phrase in list(expect.get("says", [])):  # type: ignore[call-overload]
        assert phrase in r.out, (phrase, findings)
    if name == "tool-pulls-deps":
        assert {f["line"] for f in findings if f["rule"] == "RC811"} == {10}
    assert fixture_containers(backend, name) == []
