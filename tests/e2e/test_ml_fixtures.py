"""fixtures/ml/*: real ML wheels from the package index (downloaded on the host into the shared wheelhouse,
installed offline in the image) on the Debian-minbase fixture base. Each broken project really breaks in the
container for the reason its expect.toml states, and ``check`` names it; the good one passes every stage."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import ROOT, run_cli
from tests.support.engine import assert_nothing_left, engine_or_skip, expected, stage

pytestmark = pytest.mark.engine
REPORT_SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text())
ML = [
    pytest.param(p.name, marks=[pytest.mark.slow] if expected(p).get("slow") else [], id=p.name)
    for p in sorted((ROOT / "fixtures" / "ml").iterdir())
    if (p / "expect.toml").is_file()
]


@pytest.fixture(scope="module")
def backend():
    return engine_or_skip()


@pytest.mark.parametrize("name", ML)
def test_ml_fixture(name: str, backend, tmp_path: Path):
    project = stage(name, tmp_path, group="ml")
    expect = expected(project)
    r = run_cli("check", "--progress", "plain", "--format", "json", cwd=project)
    assert r.code == expect["exit"], r.err[-3000:] + r.out[-3000:]
    data = json.loads(r.out)
    jsonschema.validate(data, REPORT_SCHEMA)  # ML8xx ids are part of the report's contract
    failing = [f["rule"] for f in data["findings"] if f["severity"] in ("error", "warning")]
    for rule in expect["rules"]:  # type: ignore[attr-defined]
        assert rule in failing, (rule, data["findings"])
    if expect["exit"] == 0:
        assert failing == [], data["findings"]
        assert [s["status"] for s in data["stages"]][:4] == ["passed"] * 4
    text = json.dumps(data)
    for phrase in list(expect.get("says", [])):  # type: ignore[call-overload]
        assert phrase in text, (phrase, data["findings"])
    assert_nothing_left(backend, project, images=False)  # the smoke cache image stays, nothing else


def test_verify_sees_two_distributions_of_one_package_and_an_lfs_pointer(backend, tmp_path: Path):
    """ML802 and ML803 from the probe in a real image: two wheels that both install `visionkit` (as
    opencv-python and opencv-python-headless both install cv2), and a model that is an LFS pointer."""
    from tests.support.engine import BASE_IMAGE
    from tests.support.wheels import make_wheel

    project = tmp_path / "dual"
    make_wheel(project / "wheels", "visionkit", "1.0", code="GUI = True\n")
    make_wheel(project / "wheels", "visionkit-headless", "1.0", code="GUI = False\n", module="visionkit")
    (project / "requirements.txt").write_text("visionkit==1.0\nvisionkit-headless==1.0\n")
    (project / "model.pkl").write_bytes(
        b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"4d" * 32 + b"\nsize 438123456\n"
    )
    (project / "Dockerfile").write_text(
        f"FROM {BASE_IMAGE}\nRUN python3 -m venv /opt/venv\nENV PATH=/opt/venv/bin:$PATH\nWORKDIR /app\n"
        "COPY requirements.txt ./\nCOPY wheels/ /wheels/\n"
        "RUN pip install --no-index --find-links /wheels -r requirements.txt\nCOPY model.pkl ./\nUSER 65534\n"
    )
    (project / "pyproject.toml").write_text('[tool.reprocheck]\nseverity = { RC102 = "info" }\n')
    r = run_cli("verify", "--progress", "plain", "--format", "json", cwd=project)
    assert r.code == 1, r.err[-3000:]
    data = json.loads(r.out)
    jsonschema.validate(data, REPORT_SCHEMA)
    found = {f["rule"]: f for f in data["findings"]}
    assert set(found) == {"ML802", "ML803"}, data["findings"]
    assert "visionkit and visionkit-headless both install the import package `visionkit`" in found["ML802"]["message"]
    assert (found["ML802"]["path"], found["ML802"]["line"]) == ("requirements.txt", 2)
    assert "/app/model.pkl in the image is a Git LFS pointer" in found["ML803"]["message"]
    assert_nothing_left(backend, project, images=False)
