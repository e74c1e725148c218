"""Image references pinned by digest against a real registry on 127.0.0.1 holding pushed images."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.fix.conftest import git_apply
from tests.support.pushed import Pushed

pytestmark = [pytest.mark.engine, pytest.mark.registry]


def _project(tmp_path: Path, text: str | bytes, name: str = "p") -> Path:
    project = tmp_path / name
    project.mkdir()
    data = text.encode() if isinstance(text, str) else text
    (project / "Dockerfile").write_bytes(data)
    return project


def _rules(out: str) -> list[tuple[str, int]]:
    return [(f["rule"], f["line"]) for f in json.loads(out)["findings"]]


def test_tag_pinned_to_its_digest_keeping_crlf_comments_and_continuations(pushed: Pushed, tmp_path: Path):
    text = (
        f"# build the app\r\nFROM --platform=linux/amd64 \\\r\n    {pushed.repo}:1.0 \\\r\n    AS base\r\n"
        "USER 65534\r\n"
    )
    project = _project(tmp_path, text)
    r = run_cli("fix", "--isolated", "--format", "json", ".", cwd=project)
    assert r.code == 0, r.out + r.err
    assert _rules(r.out) == []
    assert (project / "Dockerfile").read_bytes() == text.replace(
        f"{pushed.repo}:1.0 ", f"{pushed.repo}:1.0@{pushed.tag_digest} "
    ).encode()
    assert "RC102" in r.err and "fixed 1" in r.err
    again = run_cli("fix", "--isolated", "--diff", ".", cwd=project)
    assert again.code == 0 and again.out == "", again.out + again.err


def test_multi_platform_index_by_default_and_one_platform_when_asked(pushed: Pushed, tmp_path: Path):
    index = _project(tmp_path, f"FROM {pushed.repo}:multi\nUSER 65534\n", "index")
    assert run_cli("fix", "--isolated", ".", cwd=index).code == 0
    assert f"{pushed.repo}:multi@{pushed.index_digest}\n" in (index / "Dockerfile").read_text()
    arm = _project(tmp_path, f"FROM {pushed.repo}:multi\nUSER 65534\n", "arm")
    r = run_cli("fix", "--isolated", "--platform", "linux/arm64", ".", cwd=arm)
    assert r.code == 0, r.err
    assert f"{pushed.repo}:multi@{pushed.other_digest}\n" in (arm / "Dockerfile").read_text()
    missing = _project(tmp_path, f"FROM {pushed.repo}:multi\nUSER 65534\n", "s390x")
    r = run_cli("fix", "--isolated", "--platform", "linux/s390x", "--format", "json", ".", cwd=missing)
    assert r.code == 1
    assert (missing / "Dockerfile").read_text() == f"FROM {pushed.repo}:multi\nUSER 65534\n"
    hint = json.loads(r.out)["findings"][0]["hint"]
    assert hint.startswith("not fixed:") and "linux/s390x" in hint


def test_latest_needs_unsafe_fixes(pushed: Pushed, tmp_path: Path):
    from tests.support.pushed import _docker

    _docker("tag", f"{pushed.repo}:1.0", f"{pushed.repo}:latest")
    try:
        _docker("push", "-q", f"{pushed.repo}:latest")
    finally:
        _docker("rmi", f"{pushed.repo}:latest")
    project = _project(tmp_path, f"FROM {pushed.repo}\nUSER 65534\n")
    safe = run_cli("fix", "--isolated", ".", cwd=project)
    assert safe.code == 1 and "1 more fixable with --unsafe-fixes" in safe.err, safe.err
    assert (project / "Dockerfile").read_text() == f"FROM {pushed.repo}\nUSER 65534\n"
    unsafe = run_cli("fix", "--isolated", "--unsafe-fixes", ".", cwd=project)
    assert unsafe.code == 0, unsafe.out + unsafe.err
    assert (project / "Dockerfile").read_text() == f"FROM {pushed.repo}:latest@{pushed.tag_digest}\nUSER 65534\n"


def test_copy_from_mount_from_and_syntax_are_pinned_too(pushed: Pushed, tmp_path: Path):
    text = (
        f"# syntax={pushed.repo}:1.0\n"
        f"FROM {pushed.repo}:1.0@{pushed.tag_digest} AS build\n"
        f"COPY --from={pushed.repo}:other /etc/os-release /tmp/\n"
        f"RUN --mount=type=bind,from={pushed.repo}:multi,target=/src true\n"
        "COPY --from=build /tmp /tmp\n"
        "USER 65534\n"
    )
    project = _project(tmp_path, text)
    r = run_cli("fix", "--isolated", ".", cwd=project)
    assert r.code == 0, r.err
    fixed = (project / "Dockerfile").read_text().splitlines()
    assert fixed[0] == f"# syntax={pushed.repo}:1.0@{pushed.tag_digest}"
    assert fixed[2] == f"COPY --from={pushed.repo}:other@{pushed.other_digest} /etc/os-release /tmp/"
    assert fixed[3] == f"RUN --mount=type=bind,from={pushed.repo}:multi@{pushed.index_digest},target=/src true"
    assert fixed[4] == "COPY --from=build /tmp /tmp"


def test_diff_changes_nothing_and_applies_with_git(pushed: Pushed, tmp_path: Path):
    text = f"FROM {pushed.repo}:1.0\r\n# comment\r\nUSER 65534"
    project = _project(tmp_path, text)
    import subprocess

    # bytes, not text: universal newlines would turn the diff's CRLF into LF
    r = subprocess.run(
        [sys.executable, "-m", "reprocheck", "lint", "--isolated", "--fix", "--diff", "."],
        cwd=project,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 1, r.stderr
    assert (project / "Dockerfile").read_bytes() == text.encode()
    patch = r.stdout.decode()
    assert patch.startswith("diff --git a/Dockerfile b/Dockerfile\n") and "\r\n" in patch
    applied = git_apply(project, patch)
    assert applied.returncode == 0, applied.stderr
    assert (project / "Dockerfile").read_bytes() == text.replace(":1.0", f":1.0@{pushed.tag_digest}").encode()


def test_offline_takes_the_local_engines_repo_digest(pushed: Pushed, tmp_path: Path):
    from tests.support.engine import BASE_IMAGE
    from tests.support.pushed import _docker

    project = _project(tmp_path, f"FROM {pushed.repo}:1.0\nUSER 65534\n")
    _docker("tag", BASE_IMAGE, f"{pushed.repo}:local")
    try:
        # an image the engine has under the tag but never pushed: no digest to pin, the line stays
        local = _project(tmp_path, f"FROM {pushed.repo}:local\nUSER 65534\n", "local")
        r = run_cli("fix", "--isolated", "--offline", ".", cwd=local)
        assert r.code == 1 and "not fixed" in r.err
    finally:
        _docker("rmi", f"{pushed.repo}:local")
    _docker("pull", "-q", f"{pushed.repo}:1.0")  # the engine records the digest it pulled
    try:
        r = run_cli("fix", "--isolated", "--offline", ".", cwd=project)
        assert r.code == 0, r.err
        assert f"{pushed.repo}:1.0@{pushed.tag_digest}" in (project / "Dockerfile").read_text()
    finally:
        _docker("rmi", f"{pushed.repo}:1.0")


def test_fix_from_a_registry_does_not_import_the_docker_sdk(pushed: Pushed, tmp_path: Path):
    project = _project(tmp_path, f"FROM {pushed.repo}:1.0\nUSER 65534\n")
    code = (
        "import sys\n"
        "from reprocheck.cli.app import main\n"
        "rc = main(['fix', '--isolated', '.'])\n"
        "print('MODULES', sorted(m for m in sys.modules if m == 'docker' or m.startswith(('docker.', 'piptools'))),"
        " file=sys.stderr)\n"
    )
    import subprocess

    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=project, timeout=60)
    assert "MODULES []" in proc.stderr, proc.stderr
    assert pushed.tag_digest in (project / "Dockerfile").read_text()


def test_a_registry_that_does_not_answer_leaves_the_line_and_says_why(tmp_path: Path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    text = f"FROM localhost:{port}/nothing/here:1.0\nUSER 65534\n"
    project = _project(tmp_path, text)
    r = run_cli("fix", "--isolated", "--format", "json", ".", cwd=project)
    assert r.code == 1
    assert (project / "Dockerfile").read_text() == text
    (finding,) = json.loads(r.out)["findings"]
    assert finding["rule"] == "RC102" and finding["hint"].startswith("not fixed: registry localhost:")


def test_token_auth_with_credentials_from_the_docker_config_and_a_helper(pushed: Pushed, tmp_path: Path):
    import base64
    import os

    from tests.support.auth_gate import auth_gate

    with auth_gate(pushed.registry, "ada", "s3cret") as (gate, seen):
        text = f"FROM {gate}/reprocheck-fix/app:1.0\nUSER 65534\n"
        pinned = text.replace(":1.0\n", f":1.0@{pushed.tag_digest}\n")
        anonymous = tmp_path / "anonymous"
        anonymous.mkdir()
        (anonymous / "config.json").write_text("{}")
        project = _project(tmp_path, text, "none")
        r = run_cli("fix", "--isolated", ".", cwd=project, env={"DOCKER_CONFIG": str(anonymous)})
        assert r.code == 1 and "token service" in r.err and "HTTP 401" in r.err, r.err
        assert (project / "Dockerfile").read_text() == text

        config = tmp_path / "auths"
        config.mkdir()
        auth = base64.b64encode(b"ada:s3cret").decode()
        (config / "config.json").write_text(json.dumps({"auths": {gate: {"auth": auth}}}))
        project = _project(tmp_path, text, "p-auths")
        r = run_cli("fix", "--isolated", ".", cwd=project, env={"DOCKER_CONFIG": str(config)})
        assert r.code == 0, r.err
        assert (project / "Dockerfile").read_text() == pinned
        assert any(p.startswith("/token") for p in seen)

        helper_dir = tmp_path / "bin"
        helper_dir.mkdir()
        helper = helper_dir / "docker-credential-rctest"
        helper.write_text('#!/bin/sh\nread server\necho \'{"Username": "ada", "Secret": "s3cret"}\'\n')
        helper.chmod(0o755)
        config = tmp_path / "helpers"
        config.mkdir()
        (config / "config.json").write_text(json.dumps({"credHelpers": {gate: "rctest"}}))
        project = _project(tmp_path, text, "p-helper")
        env = {"DOCKER_CONFIG": str(config), "PATH": f"{helper_dir}:{os.environ['PATH']}"}
        r = run_cli("fix", "--isolated", ".", cwd=project, env=env)
        assert r.code == 0, r.err
        assert (project / "Dockerfile").read_text() == pinned


def test_an_image_from_an_arg_default_is_pinned_in_the_arg(pushed: Pushed, tmp_path: Path):
    text = f'ARG BASE="{pushed.repo}:1.0"\nARG OTHER=1\nFROM ${{BASE}} AS build\nFROM $BASE\nUSER 65534\n'
    project = _project(tmp_path, text)
    r = run_cli("fix", "--isolated", ".", cwd=project)
    assert r.code == 0, r.out + r.err
    assert (project / "Dockerfile").read_text() == text.replace(':1.0"', f':1.0@{pushed.tag_digest}"')


def _summary(err: str) -> str:
    return next(line for line in err.splitlines() if line.startswith("reprocheck fix: "))


def test_images_outside_from_are_fixed_under_their_own_rules_and_diff_counts_as_the_write_does(
    pushed: Pushed, tmp_path: Path
):
    # issue 26 point 9: RC105 (`COPY --from` an unpinned image) was fixed under RC101, so `--select RC105` left
    # it neither fixed nor explained, and --diff's counts did not match those of the run that writes
    import urllib.request

    from tests.support.pushed import MANIFEST, _manifest

    # `latest` is the 1.0 manifest, tagged in the registry itself (no image of the shared engine involved)
    body, _digest = _manifest(pushed.registry, "reprocheck-fix/app", "1.0")
    put = urllib.request.Request(
        f"http://{pushed.registry}/v2/reprocheck-fix/app/manifests/latest",
        data=body,
        method="PUT",
        headers={"Content-Type": MANIFEST},
    )
    with urllib.request.urlopen(put, timeout=30) as answer:
        assert answer.status == 201
    text = (
        f"FROM {pushed.repo}:1.0 AS build\n"
        f"COPY --from={pushed.repo}:latest /etc/os-release /tmp/\n"
        f"COPY --from={pushed.repo}:other /etc/hostname /tmp/\n"
        "USER root\n"
    )
    project = _project(tmp_path, text)
    before = _rules(run_cli("lint", "--isolated", "--format", "json", ".", cwd=project).out)
    assert sorted(before) == [("RC102", 1), ("RC105", 2), ("RC106", 3), ("RC107", 4)]

    safe = run_cli("fix", "--isolated", "--diff", ".", cwd=project)
    assert "RC105" not in safe.out and f"{pushed.repo}:other@{pushed.other_digest}" in safe.out, safe.out
    assert "1 more fixable with --unsafe-fixes" in _summary(safe.err), safe.err

    would = run_cli("fix", "--isolated", "--unsafe-fixes", "--diff", ".", cwd=project)
    assert (project / "Dockerfile").read_text() == text
    assert f"Dockerfile:2: RC105 {pushed.repo}:latest pinned to" in would.err, would.err
    assert f"Dockerfile:3: RC106 {pushed.repo}:other pinned to" in would.err
    n = len(before)
    assert _summary(would.err) == f"reprocheck fix: {n} findings; would make 3 edits, would fix 3, {n - 3} would remain"
    did = run_cli("fix", "--isolated", "--unsafe-fixes", "--format", "json", ".", cwd=project)
    assert _summary(did.err) == f"reprocheck fix: {n} findings; made 3 edits, fixed 3, {n - 3} remain", did.err
    after = _rules(did.out)
    assert len(after) == n - 3 and not {rule for rule, _line in after} & {"RC102", "RC105", "RC106"}
    lines = (project / "Dockerfile").read_text().splitlines()
    assert lines[1] == f"COPY --from={pushed.repo}:latest@{pushed.tag_digest} /etc/os-release /tmp/"
    again = run_cli("fix", "--isolated", "--unsafe-fixes", "--diff", ".", cwd=project)
    assert again.out == "" and "would make 0 edits, would fix 0" in again.err, again.err


def test_an_image_outside_from_that_cannot_be_pinned_says_why_under_its_own_rule(pushed: Pushed, tmp_path: Path):
    # the registry answers, and has no such repository: the line stays, and RC105 (selected alone) says why
    text = f"FROM scratch\nCOPY --from={pushed.registry}/reprocheck-fix/absent /a /a\n"
    project = _project(tmp_path, text)
    r = run_cli("fix", "--isolated", "--select", "RC105", "--unsafe-fixes", "--format", "json", ".", cwd=project)
    assert r.code == 1 and (project / "Dockerfile").read_text() == text
    (finding,) = json.loads(r.out)["findings"]
    assert finding["rule"] == "RC105" and finding["hint"].startswith("not fixed: "), finding
    assert "Dockerfile:2: RC105 not fixed: " in r.err, r.err
    assert _summary(r.err) == "reprocheck fix: 1 finding; made 0 edits, fixed 0, 1 remain"
    would = run_cli("fix", "--isolated", "--select", "RC105", "--unsafe-fixes", "--diff", ".", cwd=project)
    assert would.out == "" and _summary(would.err) == (
        "reprocheck fix: 1 finding; would make 0 edits, would fix 0, 1 would remain"
    ), would.err


def test_a_bare_name_outside_from_is_explained_not_guessed(tmp_path: Path):
    # `--from=busybox` is flagged (RC105: no tag), but it may name a --build-context: fix leaves it and says why
    # in one line, with or without --unsafe-fixes, and does not count it as fixable with them
    text = "FROM scratch\nCOPY --from=busybox /bin/sh /sh\n"
    project = _project(tmp_path, text)
    for args in ((), ("--unsafe-fixes",)):
        r = run_cli("fix", "--isolated", *args, ".", cwd=project)
        assert r.code == 1 and (project / "Dockerfile").read_text() == text
        (why,) = [line for line in r.err.splitlines() if "RC105 not fixed" in line]
        assert why.startswith("Dockerfile:2: RC105 not fixed: a bare name may be a build context"), why
        assert _summary(r.err) == "reprocheck fix: 1 finding; made 0 edits, fixed 0, 1 remain", r.err
