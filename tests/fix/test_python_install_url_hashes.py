"""RC604 fix for an archive URL in a requirements file: one download served on 127.0.0.1 gives its sha256."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.support.local_index import serve

DOCKERFILE = (
    "FROM python:3.11.9-slim@sha256:" + "1" * 64 + "\n"
    "COPY requirements.txt .\nRUN pip install --no-cache-dir --no-deps -r requirements.txt\nUSER 65534\n"
)
WHEEL = "tokenizer_lite-0.3.1-py3-none-any.whl"
PAYLOAD = b"not really a wheel\n" * 100
SHA = hashlib.sha256(PAYLOAD).hexdigest()
OTHER = "b" * 64


@pytest.fixture(scope="module")
def www(tmp_path_factory):
    root = tmp_path_factory.mktemp("www")
    (root / WHEEL).write_bytes(PAYLOAD)
    with serve(root) as url:
        yield url


def _project(make_project, requirements: str | bytes) -> Path:
    root: Path = make_project({"p/Dockerfile": DOCKERFILE, "p/requirements.txt": requirements})
    return root / "p"


def _rules(project: Path, *args: str) -> list[tuple[str, int]]:
    r = run_cli("lint", "--isolated", "--format", "json", *args, ".", cwd=project)
    return sorted((f["rule"], f["line"]) for f in json.loads(r.out)["findings"])


def test_a_file_without_hashes_gets_a_url_fragment_so_pip_does_not_switch_to_hash_checking_mode(www, make_project):
    requirements = f"numpy==1.26.4\n{www}/{WHEEL}  # the tokenizer\n{www}/{WHEEL}?x=1#egg=tokenizer_lite\n"
    project = _project(make_project, requirements)
    assert ("RC604", 2) in _rules(project) and ("RC604", 3) in _rules(project)
    r = run_cli("fix", "--isolated", "--unsafe-fixes", "--select", "RC604", ".", cwd=project)
    assert r.code == 0, r.out + r.err
    expected = requirements.replace(f"{WHEEL}  #", f"{WHEEL}#sha256={SHA}  #").replace("#egg", f"#sha256={SHA}&egg")
    assert (project / "requirements.txt").read_text() == expected
    after = _rules(project)
    assert not any(rule in ("RC603", "RC604") for rule, _ in after), after
    again = run_cli("fix", "--isolated", "--unsafe-fixes", "--select", "RC604", "--diff", ".", cwd=project)
    assert again.out == ""


def test_a_hashed_file_gets_a_hash_option_before_the_continuation_keeping_crlf(www, make_project):
    requirements = (
        f"numpy==1.26.4 --hash=sha256:{OTHER}\r\n"
        f"{www}/{WHEEL}#egg=tokenizer_lite \\\r\n    # next\r\n"
        f"six==1.16.0 \\\r\n    --hash=sha256:{OTHER}\r\n"
    )
    project = _project(make_project, requirements.encode())
    before = _rules(project)
    assert ("RC604", 2) in before and ("RC603", 2) in before, before
    r = run_cli("fix", "--isolated", "--unsafe-fixes", "--select", "RC604", ".", cwd=project)
    assert r.code == 0, r.out + r.err
    text = (project / "requirements.txt").read_bytes().decode()
    assert text == requirements.replace("tokenizer_lite \\", f"tokenizer_lite --hash=sha256:{SHA} \\")
    assert not any(rule in ("RC603", "RC604") for rule, _ in _rules(project))


def test_a_failed_download_or_offline_leaves_the_file_and_says_why(www, make_project):
    requirements = f"numpy==1.26.4\n{www}/missing-1.0-py3-none-any.whl\n"
    project = _project(make_project, requirements)
    for extra, why in (((), "HTTP 404"), (("--offline",), "--offline")):
        r = run_cli("fix", "--isolated", "--unsafe-fixes", "--format", "json", *extra, ".", cwd=project)
        assert r.code == 1
        assert (project / "requirements.txt").read_text() == requirements
        hints = [f["hint"] for f in json.loads(r.out)["findings"] if f["rule"] == "RC604"]
        assert len(hints) == 1 and why in hints[0], hints


def test_pip_checks_the_fragment_and_still_installs_the_unhashed_entries(tmp_path: Path, make_project):
    """The fragment form is only worth writing if pip checks it and keeps the file out of hash-checking mode."""
    import subprocess
    import sys

    from tests.support.wheels import make_wheel

    www, dists = tmp_path / "www", tmp_path / "dists"
    www.mkdir()
    dists.mkdir()
    wheel = make_wheel(www, "tokenizer-lite", "0.3.1")
    make_wheel(dists, "six", "1.16.0")
    with serve(www) as url:
        requirements = f"six==1.16.0\n{url}/{wheel.name}\n"
        project = _project(make_project, requirements)
        assert run_cli("fix", "--isolated", "--unsafe-fixes", "--select", "RC604", ".", cwd=project).code == 0
        assert "#sha256=" in (project / "requirements.txt").read_text()

        def download() -> subprocess.CompletedProcess[str]:
            out = tmp_path / "out"
            shutil.rmtree(out, ignore_errors=True)
            command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-index", "--find-links"]
            command += [str(dists), "--no-cache-dir", "-d", str(out), "-r", "requirements.txt"]
            env = {"PATH": "/usr/bin:/bin", "PIP_CONFIG_FILE": "/dev/null", "HOME": str(tmp_path)}
            return subprocess.run(command, cwd=project, capture_output=True, text=True, env=env, timeout=120)

        ok = download()
        assert ok.returncode == 0, ok.stdout + ok.stderr
        wheel.write_bytes(wheel.read_bytes() + b"\0")  # the server now serves other bytes
        changed = download()
        assert changed.returncode != 0 and "HASHES" in changed.stderr, changed.stdout + changed.stderr
