"""Locks written by the projects' own tools: `uv lock` for a stale uv.lock and `uv pip compile` for a lock made
for another Python, run for real against a local index; and, with the tool off PATH, the file left as it
was and the finding naming the tool."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.support.local_index import build_index, serve
from tests.support.wheels import make_wheel

BAD = ROOT / "fixtures" / "bad"
FIXTURE_INDEX = "http://127.0.0.1:8765/"
UV = shutil.which("uv")
needs_uv = pytest.mark.skipif(UV is None, reason="uv is not on PATH")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    dists = tmp_path_factory.mktemp("dists")
    for name, version in (("six", "1.16.0"), ("idna", "3.7"), ("idna", "3.8"), ("packaging", "24.0")):
        make_wheel(dists, name, version)
    root = build_index(dists, tmp_path_factory.mktemp("index")).parent
    with serve(root) as url:
        yield f"{url}/"


def _copy(name: str, tmp_path: Path, index: str = FIXTURE_INDEX) -> Path:
    project = tmp_path / name
    shutil.copytree(BAD / name, project)
    for path in project.iterdir():
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(FIXTURE_INDEX, index), encoding="utf-8")
    return project


def _env(tmp_path: Path, path: str | None = None) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "XDG_DATA_HOME": str(home / ".local/share")}
    env |= {"PIP_CONFIG_FILE": "/dev/null", "PATH": path if path is not None else os.environ.get("PATH", "")}
    return env


def _rules(project: Path) -> list[tuple[str, str]]:
    r = run_cli("lint", "--isolated", "--format", "json", ".", cwd=project)
    return sorted((f["rule"], f["path"]) for f in json.loads(r.out)["findings"])


def _snapshot(project: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in project.iterdir()}


@pytest.mark.parametrize(
    ("fixture", "rule", "tool"),
    [
        ("poetry-lock-stale", "RC613", "poetry"),
        ("pipfile-lock-stale", "RC611", "pipenv"),
    ],
)
def test_without_the_tool_on_path_fix_leaves_the_files_and_names_the_tool(tmp_path, fixture, rule, tool):
    """poetry and pipenv are the project's tools, not reprocheck's: the finding says exactly what to run."""
    project = _copy(fixture, tmp_path)
    before = _snapshot(project)
    r = run_cli("fix", "--isolated", "--unsafe-fixes", ".", cwd=project, env=_env(tmp_path, path="/nonexistent"))
    assert r.code == 1, r.err
    assert _snapshot(project) == before
    assert f"{tool} is not installed" in r.out + r.err
    assert f"run `{tool} lock` in" in r.out + r.err
    assert rule in {f[0] for f in _rules(project)}


def test_uv_is_found_next_to_reprocheck_without_anything_on_path(monkeypatch):
    """uv is a dependency of reprocheck: a project whose PATH has no uv still gets `uv lock` and the
    target-Python compiles (RC613 for uv projects, RC703, RC704)."""
    import os

    from reprocheck.fix.lookups.compiler import find_uv

    monkeypatch.setenv("PATH", "/nonexistent")
    exe = find_uv()
    assert os.access(exe, os.X_OK)
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("uv ")


@pytest.mark.parametrize(
    ("fixture", "lock", "findings"),
    [
        ("uv-lock-stale", "uv.lock", [("RC613", "uv.lock")]),
        ("poetry-lock-stale", "poetry.lock", [("RC612", "pyproject.toml"), ("RC613", "poetry.lock")]),
        ("pipfile-lock-stale", "Pipfile.lock", [("RC611", "Pipfile"), ("RC613", "Pipfile.lock")]),
    ],
)
def test_the_projects_tool_locks_again_in_a_copy_and_writes_nothing_outside(tmp_path, index, fixture, lock, findings):
    tool = {"uv.lock": "uv", "poetry.lock": "poetry", "Pipfile.lock": "pipenv"}[lock]
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not on PATH")
    project = _copy(fixture, tmp_path, index)
    files = sorted(p.name for p in project.iterdir())
    sources = {p.name: p.read_bytes() for p in project.iterdir() if p.name != lock}
    assert _rules(project) == findings
    diff = run_cli("fix", "--isolated", "--unsafe-fixes", "--diff", ".", cwd=project, env=_env(tmp_path))
    assert diff.code == 1 and f"+++ b/{lock}" in diff.out, diff.out + diff.err
    assert _rules(project) == findings  # --diff wrote nothing

    safe = run_cli("fix", "--isolated", ".", cwd=project, env=_env(tmp_path))
    assert safe.code == 1 and _rules(project) == findings  # locking again is unsafe

    r = run_cli("fix", "--isolated", "--unsafe-fixes", ".", cwd=project, env=_env(tmp_path))
    assert r.code == 0, r.out + r.err
    assert _rules(project) == []
    assert {p.name: p.read_bytes() for p in project.iterdir() if p.name != lock} == sources
    assert sorted(p.name for p in project.iterdir()) == files  # no .venv, no cache left in the project
    # (pip, inside pipenv as inside pip-compile, runs `rustc --version` for its user agent, and rustup's proxy
    # writes its own settings to HOME: not a cache of the lock tools)
    written = [p for p in (tmp_path / "home").rglob("*") if p.is_file() and ".rustup" not in p.parts]
    assert not written, f"written outside the project: {written}"
    again = run_cli("fix", "--isolated", "--unsafe-fixes", "--diff", ".", cwd=project, env=_env(tmp_path))
    assert again.out == ""


def test_an_index_that_does_not_answer_is_named_in_the_one_line_reason(tmp_path):
    """uv puts the URL it could not fetch lines above its last words (`cause: Connection refused`): the
    remaining finding's reason names both, so the user sees which index to start or fix."""
    import socket

    from reprocheck.fix.lookups.compiler import find_uv

    find_uv()  # uv is a dependency: installed next to reprocheck
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/"
    project = _copy("uv-lock-stale", tmp_path, closed)
    before = _snapshot(project)
    r = run_cli("fix", "--isolated", "--unsafe-fixes", ".", cwd=project, env=_env(tmp_path))
    assert r.code == 1
    (line,) = [ln for ln in r.err.splitlines() if ln.startswith("uv.lock:") and "not fixed" in ln]
    assert f"`uv lock` failed: cannot fetch {closed}simple/" in line and "Connection refused" in line, line
    assert _snapshot(project) == before


@needs_uv
def test_a_lock_for_another_python_is_compiled_again_for_the_image(tmp_path, index):
    project = _copy("lock-for-other-python", tmp_path)
    r = run_cli(
        "fix", "--isolated", "--unsafe-fixes", "--index-url", f"{index}simple", ".", cwd=project, env=_env(tmp_path)
    )
    assert r.code == 0, r.out + r.err
    lock = (project / "requirements.txt").read_text(encoding="utf-8")
    assert "--python-version 3.12 --python-platform x86_64-unknown-linux-gnu --generate-hashes" in lock
    assert "idna==3.7 \\\n    --hash=sha256:" in lock  # the old pin preferred over the newer 3.8
    assert _rules(project) == []


def _mac_index(tmp_path: Path, linux_too: bool) -> Iterator[str]:
    dists = tmp_path / "dists"
    dists.mkdir()
    for name, version in (("six", "1.16.0"), ("packaging", "24.0")):
        make_wheel(dists, name, version)
    make_wheel(dists, "metal-accel", "1.0.0", tag="py3-none-macosx_11_0_arm64")
    if linux_too:
        make_wheel(dists, "metal-accel", "1.1.0", tag="py3-none-manylinux_2_17_x86_64")
    root = build_index(dists, tmp_path / "index").parent
    with serve(root) as url:
        yield f"{url}/"


@needs_uv
def test_a_lock_without_linux_files_requires_the_image_platform_and_is_locked_again(tmp_path):
    for url in _mac_index(tmp_path, linux_too=True):
        project = _copy("mac-only-lock", tmp_path, url)
        pyproject = (project / "pyproject.toml").read_text(encoding="utf-8")
        assert _rules(project) == [("RC704", "uv.lock")]
        r = run_cli("fix", "--isolated", "--unsafe-fixes", ".", cwd=project, env=_env(tmp_path))
        assert r.code == 0, r.out + r.err
        marker = "sys_platform == 'linux' and platform_machine == 'x86_64'"
        assert (project / "pyproject.toml").read_text(encoding="utf-8") == (
            f'{pyproject}\n[tool.uv]\nrequired-environments = ["{marker}"]\n'
        )
        assert "metal_accel-1.1.0-py3-none-manylinux_2_17_x86_64.whl" in (project / "uv.lock").read_text()
        assert _rules(project) == []
        again = run_cli("fix", "--isolated", "--unsafe-fixes", "--diff", ".", cwd=project, env=_env(tmp_path))
        assert again.out == ""


@needs_uv
def test_when_no_version_has_a_linux_file_both_files_stay(tmp_path):
    for url in _mac_index(tmp_path, linux_too=False):
        project = _copy("mac-only-lock", tmp_path, url)
        before = _snapshot(project)
        r = run_cli("fix", "--isolated", "--unsafe-fixes", "--format", "json", ".", cwd=project, env=_env(tmp_path))
        assert r.code == 1
        assert _snapshot(project) == before
        (hint,) = [f["hint"] for f in json.loads(r.out)["findings"] if f["rule"] == "RC704"]
        assert hint.startswith("not fixed: `uv lock` failed") and "required-environments" in hint, hint


def test_the_pip_section_of_a_conda_environment_is_pinned_and_the_conda_entries_stay(tmp_path):
    import importlib.util

    if importlib.util.find_spec("piptools") is None:
        pytest.skip("pip-tools is not installed")
    dists = tmp_path / "dists"
    dists.mkdir()
    for version in ("2.31.0", "2.32.3"):
        make_wheel(dists, "requests", version)
    root = build_index(dists, tmp_path / "index").parent
    project = _copy("conda-env-unpinned", tmp_path)
    (project / "environment.yml").write_bytes((project / "environment.yml").read_bytes().replace(b"\n", b"\r\n"))
    before = (project / "environment.yml").read_bytes()
    with serve(root) as url:
        r = run_cli(
            "fix", "--isolated", "--unsafe-fixes", "--index-url", f"{url}/simple", ".", cwd=project, env=_env(tmp_path)
        )
    assert r.code == 1, r.err
    after = (project / "environment.yml").read_bytes()
    assert after == before.replace(b"requests>=2.31", b"requests==2.32.3")  # CRLF and the rest byte for byte
    assert _rules(project) == [("RC606", "environment.yml"), ("RC606", "environment.yml")]
    # the conda entries stay, and each says why (fix runs no conda solver) and what to run instead
    assert (r.out + r.err).count("RC606 not fixed: conda versions come from conda's solver") == 2, r.out + r.err
