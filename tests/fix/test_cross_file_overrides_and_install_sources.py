"""RC702 (a pip install after the lock contradicts it) and RC511 (--extra-index-url) fixed against real
pip-tools and local indexes on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.support.local_index import build_index, serve
from tests.support.wheels import make_wheel

BASE = "python:3.11.9-slim@sha256:" + "1" * 64
pytestmark = pytest.mark.skipif(importlib.util.find_spec("piptools") is None, reason="pip-tools not installed")


@pytest.fixture(scope="module")
def indexes(tmp_path_factory):
    """(main index, vendor index): the vendor index serves only `delta`."""
    dists = tmp_path_factory.mktemp("dists")
    make_wheel(dists, "alpha", "1.0.0")
    make_wheel(dists, "alpha", "1.1.0")
    make_wheel(dists, "beta", "2.0.0", requires=("alpha>=1.0",))
    make_wheel(dists, "gamma", "3.0.0")
    make_wheel(dists, "epsilon", "0.5")
    vendor = tmp_path_factory.mktemp("vendor-dists")
    make_wheel(vendor, "delta", "1.0")
    main_root = build_index(dists, tmp_path_factory.mktemp("index")).parent
    vendor_root = build_index(vendor, tmp_path_factory.mktemp("vendor-index")).parent
    with serve(main_root) as main, serve(vendor_root) as other:
        yield f"{main}/simple", f"{other}/simple"


def _env(home: Path) -> dict[str, str]:
    return {"PIP_CONFIG_FILE": "/dev/null", "PIP_FIND_LINKS": "", "XDG_CACHE_HOME": str(home / ".cache")}


def _fix(project: Path, index: str, *args: str):
    return run_cli("fix", "--isolated", "--index-url", index, *args, ".", cwd=project, env=_env(project.parent))


def _active(project: Path, rule: str) -> list[tuple[str, int, str]]:
    r = run_cli("lint", "--isolated", "--select", rule, "--format", "json", ".", cwd=project)
    return [(f["path"], f["line"], f.get("hint") or "") for f in json.loads(r.out)["findings"]]


def _lock(project: Path, index: str) -> None:
    subprocess.run(
        [
            *(sys.executable, "-m", "piptools", "compile", "--quiet", "--generate-hashes", "--strip-extras"),
            *("--no-emit-index-url", "--index-url", index, "--output-file", "requirements.txt", "requirements.in"),
        ],
        cwd=project,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "PIP_CONFIG_FILE": "/dev/null", "HOME": str(project)},
    )


def test_installs_after_the_lock_are_made_to_agree_with_it(indexes, make_project):
    index, _ = indexes
    dockerfile = (
        f"FROM {BASE}\r\nCOPY requirements.txt .\r\nRUN pip install --require-hashes -r requirements.txt \\\r\n"
        '    # tools on top of the lock\r\n && pip install --no-cache-dir alpha==1.0.0 "gamma"\r\n'
    )
    project = make_project({"p/Dockerfile": dockerfile.encode(), "p/requirements.in": b"# what we need\r\nbeta\r\n"})
    project = project / "p"
    _lock(project, index)
    lock_before = (project / "requirements.txt").read_text()
    assert "alpha==1.1.0" in lock_before
    assert "gamma" not in lock_before
    assert [f[:2] for f in _active(project, "RC702")] == [("Dockerfile", 3), ("Dockerfile", 3)]

    safe = _fix(project, index)  # unsafe fix: nothing written without --unsafe-fixes
    assert (project / "Dockerfile").read_bytes() == dockerfile.encode(), safe.err
    assert (project / "requirements.txt").read_text() == lock_before

    r = _fix(project, index, "--unsafe-fixes", "--select", "RC702")
    assert r.code == 0, r.out + r.err
    assert (project / "Dockerfile").read_bytes() == dockerfile.replace("alpha==1.0.0", "alpha==1.1.0").replace(
        '"gamma"', '"gamma==3.0.0"'
    ).encode()
    assert (project / "requirements.in").read_bytes() == b"# what we need\r\nbeta\r\ngamma\r\n"
    lock = (project / "requirements.txt").read_text()
    assert "alpha==1.1.0 \\\n    --hash=sha256:" in lock  # the lock's pin is kept, not the override
    assert "gamma==3.0.0 \\\n    --hash=sha256:" in lock
    assert _active(project, "RC702") == []
    again = _fix(project, index, "--unsafe-fixes", "--diff")
    assert again.code == 0
    assert again.out == ""


def test_packages_added_by_several_installs_go_into_one_recompiled_lock(indexes, make_project):
    index, _ = indexes
    dockerfile = (
        f"FROM {BASE}\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
        "RUN pip install gamma\nRUN pip install epsilon==0.5\nFROM {BASE}\nRUN pip install delta==1.0\n"
    ).replace("{BASE}", BASE)
    project = make_project({"p/Dockerfile": dockerfile, "p/requirements.in": "alpha\n"}) / "p"
    _lock(project, index)
    r = _fix(project, index, "--unsafe-fixes", "--select", "RC702")
    assert r.code == 0, r.out + r.err
    assert (project / "requirements.in").read_text() == "alpha\ngamma\nepsilon==0.5\n"  # stage 2 has no lock
    lock = (project / "requirements.txt").read_text()
    assert "gamma==3.0.0 \\\n" in lock
    assert "epsilon==0.5 \\\n" in lock
    assert (project / "Dockerfile").read_text() == dockerfile.replace("install gamma", "install gamma==3.0.0")
    assert _fix(project, index, "--unsafe-fixes", "--diff").out == ""


def test_a_lock_without_its_source_is_left_with_why(indexes, make_project):
    index, _ = indexes
    dockerfile = (
        f"FROM {BASE}\nCOPY requirements.txt .\nRUN pip install -r requirements.txt && pip install gamma==3.0.0\n"
    )
    project = make_project({"p/Dockerfile": dockerfile, "p/requirements.in": "beta\n"}) / "p"
    _lock(project, index)
    (project / "requirements.in").unlink()
    r = _fix(project, index, "--unsafe-fixes", "--select", "RC702")
    assert r.code == 1
    assert (project / "Dockerfile").read_text() == dockerfile
    assert "has no source (requirements.in)" in r.out


def test_an_extra_index_that_serves_the_whole_install_becomes_its_only_index(indexes, make_project):
    index, vendor = indexes
    dockerfile = (
        f"FROM {BASE}\n"
        f"RUN pip install --no-cache-dir --extra-index-url {vendor} delta==1.0  # vendor's build\n"
        f"RUN pip install --no-cache-dir --extra-index-url={vendor} delta==1.0 alpha==1.1.0\n"
    )
    project = make_project({"p/Dockerfile": dockerfile}) / "p"
    r = _fix(project, index, "--unsafe-fixes", "--select", "RC511")
    assert r.code == 1
    assert (project / "Dockerfile").read_text() == dockerfile.replace(
        "--extra-index-url " + vendor, "--index-url " + vendor
    )
    left = _active(project, "RC511")
    assert [f[:2] for f in left] == [("Dockerfile", 3)]  # the vendor index has no alpha: both stay
    assert f"{vendor} alone does not serve delta==1.0 alpha==1.1.0" in r.out
    again = _fix(project, index, "--unsafe-fixes", "--select", "RC511", "--diff")
    assert again.out == ""


def test_an_extra_index_for_every_install_is_left_with_why(indexes, make_project):
    index, vendor = indexes
    dockerfile = f"FROM {BASE}\nENV PIP_EXTRA_INDEX_URL={vendor}\nRUN pip install --no-cache-dir delta==1.0\n"
    project = make_project({"p/Dockerfile": dockerfile}) / "p"
    r = _fix(project, index, "--unsafe-fixes", "--select", "RC511")
    assert r.code == 1
    assert (project / "Dockerfile").read_text() == dockerfile
    assert "an extra index for every later install" in r.out


def test_an_extra_index_in_a_requirements_file_is_left_with_why(indexes, make_project):
    index, vendor = indexes
    requirements = f"--extra-index-url {vendor}\ndelta==1.0\n"
    dockerfile = f"FROM {BASE}\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    project = make_project({"p/Dockerfile": dockerfile, "p/requirements.txt": requirements}) / "p"
    r = _fix(project, index, "--unsafe-fixes", "--select", "RC511")
    assert r.code == 1
    assert "applies to every requirement of the file" in r.out
    assert (project / "requirements.txt").read_text() == requirements
