"""Python fixes: loose pip installs pinned, and hashed locks from the real pip-tools against a local index."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.fix.conftest import fix_diff, git_apply
from tests.support.local_index import build_index, serve
from tests.support.wheels import make_wheel

DIGEST = "sha256:" + "1" * 64
BASE = f"python:3.11.9-slim@{DIGEST}"
needs_piptools = pytest.mark.skipif(importlib.util.find_spec("piptools") is None, reason="pip-tools not installed")


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    dists = tmp_path_factory.mktemp("dists")
    make_wheel(dists, "alpha", "1.0.0")
    make_wheel(dists, "alpha", "1.1.0")
    make_wheel(dists, "beta", "2.0.0", requires=("alpha>=1.0",))
    root = build_index(dists, tmp_path_factory.mktemp("index")).parent
    with serve(root) as url:
        yield f"{url}/simple"


def _env(home: Path) -> dict[str, str]:
    return {"PIP_CONFIG_FILE": "/dev/null", "PIP_FIND_LINKS": "", "XDG_CACHE_HOME": str(home / ".cache")}


def _fix(project: Path, index: str, *args: str):
    return run_cli("fix", "--isolated", "--index-url", index, *args, ".", cwd=project, env=_env(project.parent))


def _active(project: Path) -> list[tuple[str, str, int]]:
    r = run_cli("lint", "--isolated", "--format", "json", ".", cwd=project)
    return [(f["rule"], f["path"], f["line"]) for f in json.loads(r.out)["findings"]]


@needs_piptools
def test_requirements_in_installed_gets_a_hashed_lock_and_the_dockerfile_installs_it(index, tmp_path, make_project):
    dockerfile = (
        f"FROM {BASE}\r\nWORKDIR /app\r\n# the dependencies\r\nCOPY requirements.in .\r\n"
        "RUN pip install --no-cache-dir \\\r\n    -r requirements.in\r\nUSER 65534\r\n"
    )
    project = make_project({"p/Dockerfile": dockerfile.encode(), "p/requirements.in": "beta\n"}) / "p"
    assert _active(project) == [("RC701", "Dockerfile", 5)]
    safe = _fix(project, index)
    assert safe.code == 1 and "1 more fixable with --unsafe-fixes" in safe.err
    assert not (project / "requirements.txt").exists()

    code, patch, _ = fix_diff(project, "--isolated", "--index-url", index, "--unsafe-fixes", ".", env=_env(tmp_path))
    assert code == 1 and not (project / "requirements.txt").exists()
    r = _fix(project, index, "--unsafe-fixes")
    assert r.code == 0, r.out + r.err
    assert (project / "Dockerfile").read_bytes() == dockerfile.replace(
        "COPY requirements.in", "COPY requirements.txt"
    ).replace("pip install --no-cache-dir", "pip install --require-hashes --no-cache-dir").replace(
        "-r requirements.in", "-r requirements.txt"
    ).encode()
    lock = (project / "requirements.txt").read_text()
    assert "pip-compile --generate-hashes --output-file=requirements.txt requirements.in" in lock
    assert "alpha==1.1.0 \\\n    --hash=sha256:" in lock and "beta==2.0.0 \\\n    --hash=sha256:" in lock
    assert "127.0.0.1" not in lock  # no index URL of this machine in the lock
    assert _active(project) == []
    again = _fix(project, index, "--unsafe-fixes", "--diff")
    assert again.code == 0 and again.out == "", again.out

    # the --diff printed before fixing applies to the original files and gives the same result
    original = tmp_path / "orig"
    original.mkdir()
    (original / "Dockerfile").write_bytes(dockerfile.encode())
    (original / "requirements.in").write_text("beta\n")
    applied = git_apply(original, patch)
    assert applied.returncode == 0, applied.stderr
    assert (original / "requirements.txt").read_text() == lock
    assert (original / "Dockerfile").read_bytes() == (project / "Dockerfile").read_bytes()


@needs_piptools
def test_a_floating_requirements_txt_becomes_the_source_of_a_lock(index, make_project):
    project = (
        make_project(
            {
                "p/Dockerfile": f"FROM {BASE}\nCOPY requirements.txt .\n"
                "RUN pip install -r requirements.txt\nUSER 65534\n",
                "p/requirements.txt": "# what we need\nbeta>=1\n",
            }
        )
        / "p"
    )
    assert ("RC601", "requirements.txt", 2) in _active(project)
    r = _fix(project, index, "--unsafe-fixes")
    assert r.code == 0, r.out + r.err
    assert (project / "requirements.in").read_text() == "# what we need\nbeta>=1\n"
    lock = (project / "requirements.txt").read_text()
    assert "beta==2.0.0 \\\n    --hash=sha256:" in lock and "# via -r requirements.in" in lock
    assert "RUN pip install --require-hashes -r requirements.txt" in (project / "Dockerfile").read_text()
    assert _active(project) == []


@needs_piptools
def test_a_lock_that_cannot_be_resolved_leaves_everything_and_says_why(index, make_project):
    files = {
        "p/Dockerfile": f"FROM {BASE}\nCOPY requirements.in .\nRUN pip install -r requirements.in\nUSER 65534\n",
        "p/requirements.in": "gamma-not-on-the-index\n",
    }
    project = make_project(files) / "p"
    r = _fix(project, index, "--unsafe-fixes", "--format", "json")
    assert r.code == 1
    (finding,) = json.loads(r.out)["findings"]
    assert finding["rule"] == "RC701" and finding["hint"].startswith("not fixed: pip-compile failed")
    assert (project / "Dockerfile").read_text() == files["p/Dockerfile"]
    assert not (project / "requirements.txt").exists()


@pytest.fixture(scope="module")
def index_by_python(tmp_path_factory):
    """gamma 1.0.0 installs on any Python; gamma 2.0.0 only on CPython 3.11 (a wheel for cp311 alone): a
    resolver for the image's Python 3.9 must pick 1.0.0, one for 3.11 2.0.0."""
    dists = tmp_path_factory.mktemp("dists-by-python")
    make_wheel(dists, "gamma", "1.0.0")
    make_wheel(dists, "gamma", "2.0.0", tag="cp311-cp311-manylinux_2_17_x86_64")
    root = build_index(dists, tmp_path_factory.mktemp("index-by-python")).parent
    with serve(root) as url:
        yield f"{url}/simple"


@pytest.mark.parametrize(("python", "version"), [("3.9.18", "1.0.0"), ("3.11.9", "2.0.0")])
def test_a_pin_fix_resolves_for_the_python_the_image_runs(index_by_python, make_project, python, version):
    """Issue 26.7: reprocheck runs on Python >= 3.11, most ML images on older ones; the pin is what the
    image's Python gets (uv's resolver targets it), not what reprocheck's own Python would."""
    if python.startswith("3.11") and sys.version_info[:2] != (3, 11):
        pytest.skip("the cp311 wheel is the image's; this host runs another Python")
    project = make_project({"p/Dockerfile": f"FROM python:{python}-slim@{DIGEST}\nRUN pip install gamma\n"}) / "p"
    r = _fix(project, index_by_python, "--unsafe-fixes")
    assert f"gamma=={version}" in (project / "Dockerfile").read_text(), r.err


def test_an_image_on_python_3_9_gets_a_lock_compiled_for_python_3_9(index_by_python, make_project):
    files = {
        "p/Dockerfile": f"FROM python:3.9.18-slim@{DIGEST}\nCOPY requirements.in .\n"
        "RUN pip install -r requirements.in\n",
        "p/requirements.in": "gamma\n",
    }
    project = make_project(files) / "p"
    r = _fix(project, index_by_python, "--unsafe-fixes")
    assert r.code == 0, r.out + r.err
    lock = (project / "requirements.txt").read_text()
    assert "gamma==1.0.0" in lock and "--hash=sha256:" in lock
    assert "--python-version 3.9" in lock  # the header says how to compile it again
    assert "127.0.0.1" not in lock
    assert "requirements.txt" in (project / "Dockerfile").read_text()


def test_without_a_resolver_for_the_image_the_finding_points_at_from_image(make_project, tmp_path):
    """No uv next to reprocheck nor on PATH (a Python without it): the 3.9 image's pin is left, and the
    finding says what to install or pass instead (--from-image)."""
    project = make_project({"p/Dockerfile": f"FROM python:3.9.18-slim@{DIGEST}\nRUN pip install gamma\n"}) / "p"
    code = (
        "import sys, importlib.util\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name == 'uv' else real(name, *a)\n"
        "from reprocheck.cli.app import main\n"
        "sys.exit(main(['fix', '--isolated', '--unsafe-fixes', '--index-url', 'http://127.0.0.1:9/simple', '.']))\n"
    )
    env = {**os.environ, "PATH": str(tmp_path / "empty"), **_env(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert "RC301 not fixed" in proc.stderr and "--from-image" in proc.stderr and "pip install uv" in proc.stderr


def test_a_loose_pip_install_is_pinned_to_the_lock_as_an_unsafe_fix(make_project):
    dockerfile = (
        f"FROM {BASE}\nCOPY requirements.txt .\nRUN pip install --require-hashes -r requirements.txt\n"
        "RUN pip install --no-cache-dir 'alpha>=1' \\\n    beta[cli] && python -c 'import beta'\nUSER 65534\n"
    )
    lock = "alpha==1.1.0 \\\n    --hash=sha256:" + "a" * 64 + "\nbeta==2.0.0 \\\n    --hash=sha256:" + "b" * 64 + "\n"
    project = make_project({"p/Dockerfile": dockerfile, "p/requirements.txt": lock}) / "p"
    safe = run_cli("fix", "--isolated", ".", cwd=project)
    assert safe.code == 1 and (project / "Dockerfile").read_text() == dockerfile
    r = run_cli("fix", "--isolated", "--unsafe-fixes", ".", cwd=project)
    assert (project / "Dockerfile").read_text() == dockerfile.replace("'alpha>=1'", "'alpha==1.1.0'").replace(
        "beta[cli] &&", "beta[cli]==2.0.0 &&"
    ), r.err
    assert "python -c 'import beta'" in (project / "Dockerfile").read_text()


@needs_piptools
def test_without_lock_or_image_the_unsafe_fix_pins_what_the_index_serves_today(index, make_project):
    dockerfile = f"FROM {BASE}\nRUN pip install 'beta>=1' alpha\nUSER 65534\n"
    project = make_project({"p/Dockerfile": dockerfile}) / "p"
    safe = _fix(project, index)
    assert safe.code == 1 and (project / "Dockerfile").read_text() == dockerfile
    assert "--unsafe-fixes resolves it" in safe.err
    r = _fix(project, index, "--unsafe-fixes")
    assert r.code == 0, r.out + r.err
    assert (project / "Dockerfile").read_text() == dockerfile.replace("'beta>=1' alpha", "'beta==2.0.0' alpha==1.1.0")
    assert "(the index today)" in r.err


def test_a_version_outside_the_range_is_not_written(make_project):
    dockerfile = (
        f"FROM {BASE}\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nRUN pip install 'alpha<1'\n"
    )
    project = make_project({"p/Dockerfile": dockerfile, "p/requirements.txt": "alpha==1.1.0\n"}) / "p"
    r = run_cli("fix", "--isolated", "--unsafe-fixes", "--select", "RC301", ".", cwd=project)
    assert r.code == 1 and "does not admit 1.1.0" in r.err
    assert (project / "Dockerfile").read_text() == dockerfile


@pytest.mark.engine
def test_from_image_pins_to_what_the_image_holds_as_a_safe_fix(make_project, tmp_path):
    import uuid
    import zipfile

    from tests.support.engine import BASE_IMAGE, engine_or_skip
    from tests.support.pushed import _docker

    engine_or_skip()
    context = tmp_path / "ctx"
    site = context / "site"
    site.mkdir(parents=True)
    for name, version in (("alpha", "1.0.0"), ("beta", "2.0.0")):
        with zipfile.ZipFile(make_wheel(tmp_path, name, version)) as whl:
            whl.extractall(site)
    run = uuid.uuid4().hex[:12]
    (context / "Dockerfile").write_text(f"FROM {BASE_IMAGE}\nCOPY site/ /usr/local/lib/python3.11/dist-packages/\n")
    image = _docker("build", "-q", "--label", f"io.reprocheck.run={run}", str(context))
    try:
        dockerfile = f"FROM {BASE}\nRUN pip install alpha 'beta>=1' && pip install gamma\nUSER 65534\n"
        project = make_project({"p/Dockerfile": dockerfile}) / "p"
        r = run_cli("fix", "--isolated", "--from-image", image, ".", cwd=project)
        assert r.code == 1 and "`gamma`: neither the image nor a lock has it" in r.err, r.err
        assert (project / "Dockerfile").read_text() == dockerfile.replace(
            "alpha 'beta>=1'", "alpha==1.0.0 'beta==2.0.0'"
        )
        assert _docker("ps", "-aq", "--filter", f"ancestor={image}") == ""  # the probe's container is gone
    finally:
        _docker("rmi", "-f", image)


def test_offline_never_asks_the_index(make_project):
    dockerfile = f"FROM {BASE}\nCOPY requirements.in .\nRUN pip install -r requirements.in && pip install alpha\n"
    project = make_project({"p/Dockerfile": dockerfile, "p/requirements.in": "beta\n"}) / "p"
    r = run_cli(
        "fix", "--isolated", "--unsafe-fixes", "--offline", "--index-url", "http://127.0.0.1:9/simple", ".", cwd=project
    )
    assert r.code == 1 and r.err.count("--offline forbids it") == 2, r.err
    assert (project / "Dockerfile").read_text() == dockerfile and not (project / "requirements.txt").exists()


def test_other_tools_locks_get_the_command_that_refreshes_them(tmp_path):
    """Without poetry on PATH (tests/fix/test_drift.py runs the tools themselves)."""
    import shutil as sh

    from tests.conftest import ROOT

    project = tmp_path / "p"
    sh.copytree(ROOT / "fixtures" / "bad" / "poetry-lock-stale", project)
    before = {p.name: p.read_bytes() for p in project.iterdir() if p.is_file()}
    r = run_cli(
        "fix", "--isolated", "--unsafe-fixes", "--format", "json", ".", cwd=project, env={"PATH": "/nonexistent"}
    )
    hints = {(f["rule"], f["path"]): f.get("hint", "") for f in json.loads(r.out)["findings"]}
    for where in (("RC613", "poetry.lock"), ("RC612", "pyproject.toml")):
        assert hints[where].startswith("not fixed: poetry is not installed"), hints[where]
        assert hints[where].endswith("run `poetry lock` in ."), hints[where]
    assert {p.name: p.read_bytes() for p in project.iterdir() if p.is_file()} == before
