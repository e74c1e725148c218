"""Download fixes: a file served on 127.0.0.1 is hashed once, a local bare repository answers ls-remote."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.support.local_index import serve

BASE = "python:3.11.9-slim@sha256:" + "1" * 64
PAYLOAD = b"model weights\n" * 1000
SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("www")
    (root / "weights.bin").write_bytes(PAYLOAD)
    with serve(root) as url:
        yield url


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> tuple[str, str, str]:
    """file:// URL of a bare repository, the commit of its branch `main` and of its tag `v1` (an older one)."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    base = tmp_path_factory.mktemp("git")
    work, bare = base / "work", base / "repo.git"
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
        "HOME": str(base),
        "PATH": "/usr/bin:/bin",
    }

    def g(*args: str, cwd: Path = work) -> str:
        return subprocess.run([git, *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()

    work.mkdir()
    g("init", "-q", "-b", "main")
    (work / "a").write_text("1")
    g("add", "a")
    g("commit", "-qm", "one")
    g("tag", "-a", "v1", "-m", "v1")
    tagged = g("rev-parse", "HEAD")
    (work / "a").write_text("2")
    g("commit", "-qam", "two")
    head = g("rev-parse", "HEAD")
    g("clone", "-q", "--bare", str(work), str(bare), cwd=base)
    return f"file://{bare}", head, tagged


def _project(make_project, dockerfile: str) -> Path:
    root: Path = make_project({"p/Dockerfile": dockerfile})
    return root / "p"


def test_add_url_gains_a_checksum_only_with_unsafe_fixes(server, make_project):
    dockerfile = f"FROM {BASE}\nADD {server}/weights.bin /models/\nUSER 65534\n"
    project = _project(make_project, dockerfile)
    assert run_cli("fix", "--isolated", ".", cwd=project).code == 1
    assert (project / "Dockerfile").read_text() == dockerfile
    r = run_cli("fix", "--isolated", "--unsafe-fixes", ".", cwd=project)
    assert r.code == 0, r.out + r.err
    text = (project / "Dockerfile").read_text()
    assert text == dockerfile.replace("ADD ", f"ADD --checksum=sha256:{SHA} ")
    assert run_cli("fix", "--isolated", "--unsafe-fixes", "--diff", ".", cwd=project).out == ""


def test_curl_and_wget_downloads_gain_a_sha256sum_check(server, make_project):
    dockerfile = (
        f"FROM {BASE}\n"
        f"RUN curl -fsSL -o /tmp/w.bin {server}/weights.bin \\\n"
        "    && mv /tmp/w.bin /models/\n"
        f"RUN cd /models && wget -q {server}/weights.bin\n"
        "USER 65534\n"
    )
    project = _project(make_project, dockerfile)
    r = run_cli("fix", "--isolated", "--unsafe-fixes", ".", cwd=project)
    assert r.code == 0, r.out + r.err
    assert (project / "Dockerfile").read_text() == dockerfile.replace(
        "weights.bin \\\n", f'weights.bin && echo "{SHA}  /tmp/w.bin" | sha256sum -c - \\\n'
    ).replace("weights.bin\nUSER", f'weights.bin && echo "{SHA}  weights.bin" | sha256sum -c -\nUSER')


def test_a_download_that_fails_leaves_the_line_and_says_why(server, make_project):
    dockerfile = f"FROM {BASE}\nADD {server}/missing.bin /models/\nRUN curl -o /tmp/x {server}/weights.bin\n"
    project = _project(make_project, dockerfile)
    r = run_cli("fix", "--isolated", "--unsafe-fixes", "--offline", "--format", "json", ".", cwd=project)
    hints = {f["rule"]: f.get("hint", "") for f in json.loads(r.out)["findings"]}
    assert "--offline forbids it" in hints["RC502"]
    r = run_cli("fix", "--isolated", "--unsafe-fixes", "--format", "json", ".", cwd=project)
    hints = {f["rule"]: f.get("hint", "") for f in json.loads(r.out)["findings"]}
    assert hints["RC501"] == f"not fixed: `{server}/missing.bin` answered HTTP 404"
    assert "RC502" not in hints  # the curl was fixed; the ADD stays as it was
    assert f"ADD {server}/missing.bin /models/\n" in (project / "Dockerfile").read_text()


def test_piped_downloads_are_left_for_a_human(server, make_project):
    dockerfile = f"FROM {BASE}\nRUN curl -fsSL {server}/weights.bin | tar x -C /opt\n"
    project = _project(make_project, dockerfile)
    r = run_cli("fix", "--isolated", "--unsafe-fixes", ".", cwd=project)
    assert "standard output" in r.err and (project / "Dockerfile").read_text() == dockerfile


def test_git_clone_checks_out_the_commit_its_branch_has_now(repo, make_project):
    url, head, tagged = repo
    dockerfile = (
        f"FROM {BASE}\n"
        f"RUN git clone --depth 1 {url} /src && pip install /src\n"
        f"RUN git clone -b v1 {url} && make -C repo\n"
        f"RUN git clone {url} /other && cd /other && git checkout v1\n"
    )
    project = _project(make_project, dockerfile)
    r = run_cli("fix", "--isolated", "--unsafe-fixes", "--select", "RC504", ".", cwd=project)
    assert r.code == 0, r.out + r.err
    assert (project / "Dockerfile").read_text() == (
        f"FROM {BASE}\n"
        f"RUN git clone --depth 1 {url} /src && git -C /src checkout --quiet {head} && pip install /src\n"
        f"RUN git clone -b v1 {url} && git -C repo checkout --quiet {tagged} && make -C repo\n"
        f"RUN git clone {url} /other && cd /other && git checkout {tagged}\n"
    )


def test_a_missing_ref_is_reported(repo, make_project):
    url, _, _ = repo
    dockerfile = f"FROM {BASE}\nRUN git clone -b nope {url} /src\n"
    project = _project(make_project, dockerfile)
    r = run_cli("fix", "--isolated", "--unsafe-fixes", "--select", "RC504", ".", cwd=project)
    assert r.code == 1 and "has no branch or tag `nope`" in r.err
    assert (project / "Dockerfile").read_text() == dockerfile


def test_pip_vcs_refs_get_the_commit_in_a_run_and_in_a_requirements_file(repo, make_project):
    url, head, tagged = repo
    dockerfile = (
        f"FROM {BASE}\nCOPY requirements.txt .\n"
        f'RUN pip install "git+{url}@v1#egg=repo" && pip install --require-hashes -r requirements.txt\n'
    )
    requirements = f"repo @ git+{url}@main  # the tool\nhttps://example.invalid/x-1.0-py3-none-any.whl\n"
    project = make_project({"p/Dockerfile": dockerfile, "p/requirements.txt": requirements}) / "p"
    r = run_cli("fix", "--isolated", "--unsafe-fixes", "--select", "RC302,RC604", "--format", "json", ".", cwd=project)
    assert (project / "Dockerfile").read_text() == dockerfile.replace("@v1#", f"@{tagged}#")
    assert (project / "requirements.txt").read_text() == requirements.replace("@main ", f"@{head} ")
    (left,) = json.loads(r.out)["findings"]
    # the archive URL's host does not resolve: its hash (test_python_install_url_hashes.py) is not fixed, and says why
    assert left["rule"] == "RC604" and left["line"] == 2 and "cannot download `https://example.invalid/" in left["hint"]


def test_lock_based_installs_are_told_to_install_exactly_the_lock(make_project):
    dockerfile = (
        f"FROM {BASE}\nCOPY pyproject.toml uv.lock ./\nRUN uv sync --no-dev\nRUN pipenv install\n"
        "RUN npm install && uv run python x.py\n"
    )
    project = _project(make_project, dockerfile)
    r = run_cli("fix", "--isolated", "--unsafe-fixes", "--select", "RC513", ".", cwd=project)
    assert r.code == 0, r.out + r.err
    assert (project / "Dockerfile").read_text() == (
        f"FROM {BASE}\nCOPY pyproject.toml uv.lock ./\nRUN uv sync --locked --no-dev\nRUN pipenv install --deploy\n"
        "RUN npm ci && uv run --locked python x.py\n"
    )


def test_a_script_piped_to_a_shell_is_downloaded_checked_and_run(server, make_project):
    dockerfile = f"FROM {BASE}\nRUN curl -fsSL {server}/weights.bin | sh -s -- --yes && echo done\n"
    project = _project(make_project, dockerfile)
    r = run_cli("fix", "--isolated", "--unsafe-fixes", "--select", "RC503", ".", cwd=project)
    assert r.code == 0, r.out + r.err
    assert (project / "Dockerfile").read_text() == (
        f"FROM {BASE}\nRUN curl -fsSL {server}/weights.bin -o /tmp/weights.bin"
        f' && echo "{SHA}  /tmp/weights.bin" | sha256sum -c - && sh /tmp/weights.bin --yes && echo done\n'
    )


def test_a_system_upgrade_is_dropped(make_project):
    dockerfile = (
        f"FROM {BASE}\nRUN apt-get update && apt-get upgrade -y \\\n    && apt-get install -y curl=7.88.1-10\n"
        "RUN apk upgrade && apk add curl=8.5.0-r0\nRUN apt-get dist-upgrade -y\n"
    )
    project = _project(make_project, dockerfile)
    r = run_cli("fix", "--isolated", "--unsafe-fixes", "--select", "RC204", ".", cwd=project)
    assert r.code == 1 and "remove it by hand" in r.err, r.err
    assert (project / "Dockerfile").read_text() == (
        f"FROM {BASE}\nRUN apt-get update \\\n    && apt-get install -y curl=7.88.1-10\n"
        "RUN apk add curl=8.5.0-r0\nRUN apt-get dist-upgrade -y\n"
    )
