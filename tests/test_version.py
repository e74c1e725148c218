"""A release to pin: the version comes from git (vX.Y.Z tags; X.(Y+1).devN+g<commit> between them), every wheel
names the commit it was built from, and ``reprocheck --version`` prints version, commit and Python."""

from __future__ import annotations

import platform
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from reprocheck._gitversion import from_git, pep440
from tests.conftest import ROOT, run_cli


@pytest.mark.parametrize(
    ("tag", "distance", "dirty", "expected"),
    [
        ("v0.2.0", 0, False, "0.2.0"),
        ("v0.2.0", 0, True, "0.2.0+gabcdef012.dirty"),
        ("v0.2.0", 5, False, "0.3.dev5+gabcdef012"),
        ("v1.4.2", 1, True, "1.5.dev1+gabcdef012.dirty"),
        (None, 261, False, "0.1.dev261+gabcdef012"),
    ],
)
def test_pep440_from_describe(tag, distance, dirty, expected):
    from packaging.version import Version

    got = pep440(tag, distance, "abcdef0123456789", dirty)
    assert got == expected
    assert str(Version(got)) == got  # a valid, normalised PEP 440 version


def test_a_malformed_tag_is_refused():
    with pytest.raises(ValueError, match=r"v1\.2\.3"):
        pep440("release-2", 0, "abc")


def _git(repo: Path, *args: str) -> None:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    env["PATH"] = "/usr/bin:/bin"
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def test_from_git_on_a_real_repository(tmp_path: Path):
    repo = tmp_path / "r"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "a").write_text("1")
    _git(repo, "add", "a")
    _git(repo, "commit", "-qm", "one")
    found = from_git(repo)
    assert found is not None and re.fullmatch(r"0\.1\.dev1\+g[0-9a-f]{9}", found[0]) and len(found[1]) == 40
    _git(repo, "tag", "v0.4.0")
    assert from_git(repo) == ("0.4.0", found[1])
    (repo / "a").write_text("2")
    assert from_git(repo) == (f"0.4.0+g{found[1][:9]}.dirty", found[1])
    _git(repo, "commit", "-qam", "two")
    after = from_git(repo)
    assert after is not None and after[0].startswith("0.5.dev1+g")
    assert from_git(tmp_path) is None  # not a checkout


def test_version_prints_version_commit_and_python():
    r = run_cli("--version")
    assert r.code == 0
    m = re.fullmatch(r"reprocheck (\S+) \(commit ([0-9a-f]{12}|unknown); (\w+) (\S+) at (.+)\)\n", r.out)
    assert m is not None, r.out
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode == 0:
        assert m[2] == head.stdout.strip()[:12]
    assert m[4] == platform.python_version()


def test_the_wheel_carries_its_version_and_commit(tmp_path: Path):
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), ROOT],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("reprocheck-*.whl")
    found = from_git(ROOT)
    assert found is not None
    assert wheel.name.startswith(f"reprocheck-{found[0].split('+')[0]}")
    info = zipfile.ZipFile(wheel).read("reprocheck/_build_info.py").decode()
    assert f"COMMIT = '{found[1]}'" in info and f"VERSION = '{found[0]}'" in info
    metadata = next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".dist-info/METADATA"))
    assert f"Version: {found[0]}\n" in zipfile.ZipFile(wheel).read(metadata).decode()
