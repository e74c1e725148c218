"""The catalogue ships inside the wheel and is found there."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT


def test_wheel_contains_the_catalogue_and_uses_it(tmp_path: Path):
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), ROOT],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0 and "No module named 'hatchling'" in proc.stderr:
        pytest.skip("hatchling is not installed")
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("reprocheck-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n.rsplit("/", 1)[1] for n in names if n.startswith("reprocheck/_catalogue/")}
    assert shipped == {p.name for p in (ROOT / "rules").glob("*.md") if p.name[:2] in ("RC", "ML")}
    tables = {n.rsplit("/", 1)[1] for n in names if n.startswith("reprocheck/knowledge/") and n.endswith(".toml")}
    assert tables == {p.name for p in (ROOT / "reprocheck" / "knowledge").glob("*.toml")}
    assert "reprocheck/py.typed" in names
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(wheel).extractall(unpacked)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from reprocheck.catalogue import catalogue_dir, load_catalogue;"
        "print(catalogue_dir()); print(len(load_catalogue()))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(unpacked)], capture_output=True, text=True, cwd=tmp_path)
    where, count = out.stdout.split()
    assert Path(where) == unpacked / "reprocheck" / "_catalogue"
    assert int(count) == len(shipped)
