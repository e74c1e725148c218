"""reprocheck verify on a real engine: real images, a real local registry for digests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reprocheck.backend.base import RunRequest
from tests.conftest import run_cli
from tests.support.engine import BASE_IMAGE, engine_or_skip, expected, stage
from tests.support.registry import local_registry

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def backend():
    return engine_or_skip()


def _findings(out: str) -> list[tuple[str, str, int]]:
    return [(f["rule"], f["path"], f["line"]) for f in json.loads(out)["findings"]]


def test_later_installs_show_up_against_the_lock(backend, tmp_path: Path):
    """An extra package installed after the lock, and a version changed by a later pip install."""
    project = stage("drifted", tmp_path, group="verify")
    expect = expected(project)
    r = run_cli("verify", "--progress", "quiet", "--format", "json", cwd=project)
    assert r.code == expect["exit"], r.err
    assert _findings(r.out) == [
        ("RC815", "Dockerfile", 2),
        ("RC811", "Dockerfile", 10),
        ("RC812", "requirements.txt", 2),
    ]
    text = r.out
    for phrase in expect["says"]:  # type: ignore[attr-defined]
        assert phrase in text, phrase
    assert "5 Python distributions under Python 3.11" in text  # featurekit, labelkit, extrakit, pip, setuptools


def test_a_clean_image_verifies_and_os_pins_are_read_from_dpkg(backend, tmp_path: Path):
    project = stage("iris-clean", tmp_path)
    info = backend.run(
        RunRequest(
            BASE_IMAGE,
            ("dpkg-query", "-W", "-f", "${Version}", "libexpat1"),
            __import__("reprocheck.backend.base", fromlist=["Sandbox"]).Sandbox(),
            60,
        )
    )
    version = info.stdout.decode().strip()
    assert version
    dockerfile = project / "Dockerfile"
    text = dockerfile.read_text().replace(
        "RUN python3 -m venv /opt/venv",
        f"RUN apt-get install -y --no-install-recommends libexpat1={version} && python3 -m venv /opt/venv",
    )
    dockerfile.write_text(text)
    r = run_cli("verify", "--progress", "quiet", "--format", "json", cwd=project)
    assert r.code == 0, r.out + r.err
    data = json.loads(r.out)
    assert data["findings"] == []
    assert any("1 pinned OS packages compared with the dpkg database" in n for n in data["notes"])
    assert any("compared with requirements.txt" in n for n in data["notes"])


def test_an_image_without_python_still_gets_the_rest_checked(backend, tmp_path: Path):
    (tmp_path / "model.txt").write_text("weights\n")
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY model.txt /model.txt\n")
    r = run_cli("verify", "--progress", "quiet", "--format", "json", cwd=tmp_path)
    assert r.code == 1, r.err
    data = json.loads(r.out)
    assert _findings(r.out) == [("RC815", "Dockerfile", 1)]
    assert any(n.startswith("Python packages not checked: python3:") for n in data["notes"]), data["notes"]


def test_base_image_digests_against_a_real_registry(backend, tmp_path: Path):
    api = backend.client.api
    with local_registry(tmp_path) as registry:
        repo = f"{registry}/reprocheck-fixture/python"
        created: list[str] = []
        try:
            api.tag(BASE_IMAGE, repo, "3.11")
            created.append(f"{repo}:3.11")
            for _ in api.push(repo, "3.11", stream=True, decode=True):
                pass
            first = next(d for d in backend.inspect(f"{repo}:3.11").repo_digests if d.startswith(repo)).split("@")[1]
            project = tmp_path / "p"
            project.mkdir()
            (project / "Dockerfile").write_text(f"FROM {repo}:3.11@{first}\nUSER 65534\n")
            ok = run_cli("verify", "--online", "--progress", "quiet", "--format", "json", cwd=project)
            assert ok.code == 0 and _findings(ok.out) == [], ok.out + ok.err

            # the publisher moves the tag: a new image under the same name
            newer = tmp_path / "newer"
            newer.mkdir()
            (newer / "Dockerfile").write_text(f"FROM {BASE_IMAGE}\nLABEL rebuilt=yes\n")
            image, _ = backend.client.images.build(path=str(newer), tag=f"{repo}:3.11", rm=True)
            created.append(image.id)
            for _ in api.push(repo, "3.11", stream=True, decode=True):
                pass
            second = next(d for d in backend.inspect(f"{repo}:3.11").repo_digests if d.startswith(repo)).split("@")[1]
            assert second != first
            moved = run_cli("verify", "--online", "--progress", "quiet", "--format", "json", cwd=project)
            assert _findings(moved.out) == [("RC816", "Dockerfile", 1)], moved.out + moved.err
            assert f"now points to {second[:19]}" in moved.out

            # a tag-only FROM, and this engine still has the old image under the tag
            (project / "Dockerfile").write_text(f"FROM {repo}:3.11\nUSER 65534\n")
            api.tag(BASE_IMAGE, repo, "3.11")
            stale = run_cli("verify", "--online", "--progress", "quiet", "--format", "json", cwd=project)
            assert _findings(stale.out) == [("RC816", "Dockerfile", 1)], stale.out + stale.err
            assert "a fresh machine builds on another base" in stale.out and f"@{second}" in stale.out
            offline = run_cli("verify", "--progress", "quiet", "--format", "json", cwd=project)
            assert _findings(offline.out) == []
        finally:
            for ref in created:
                backend.remove_image(ref)


def test_a_base_image_the_registry_does_not_answer_for_is_a_note_with_why(backend, tmp_path: Path):
    """--online asks each base image's registry; one that does not answer leaves the image uncompared, and
    verify says so with the reason instead of passing over it in silence."""
    repo = f"127.0.0.1:9/reprocheck-fixture/python-{tmp_path.name[-8:].lower()}"  # port 9: nothing listens
    backend.client.api.tag(BASE_IMAGE, repo, "3.11")
    try:
        (tmp_path / "Dockerfile").write_text(f"FROM {repo}:3.11\nUSER 65534\n")
        r = run_cli("verify", "--online", "--progress", "quiet", "--format", "json", cwd=tmp_path)
        assert r.code == 0 and _findings(r.out) == [], r.out + r.err
        notes = json.loads(r.out)["notes"]
        assert any(n.startswith(f"base image {repo}:3.11 not compared with its registry: ") for n in notes), notes
    finally:
        backend.remove_image(f"{repo}:3.11")
