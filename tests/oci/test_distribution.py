"""The one registry digest (reprocheck.oci): fix's pins and verify's RC816 (through the backend) both ask it."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from reprocheck.oci.distribution import Reference, reference_of
from tests.support.pushed import Pushed, pushed_images


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("python:3.11", Reference("docker.io", "library/python", "3.11")),
        ("python", Reference("docker.io", "library/python", "latest")),
        ("org/app:1.0@sha256:" + "a" * 64, Reference("docker.io", "org/app", "1.0")),
        ("localhost:5000/team/app:2", Reference("localhost:5000", "team/app", "2")),
        ("localhost/app", Reference("localhost", "app", "latest")),
        ("127.0.0.1:5000/app:v1", Reference("127.0.0.1:5000", "app", "v1")),
        ("registry.example/ns/app", Reference("registry.example", "ns/app", "latest")),
    ],
)
def test_reference_of_reads_a_name_as_docker_does(text: str, expected: Reference):
    assert reference_of(text) == expected


@pytest.fixture(scope="module")
def pushed() -> Iterator[Pushed]:
    from tests.support.engine import engine_or_skip

    engine_or_skip()  # to push the images; the look-ups below do not use it
    with tempfile.TemporaryDirectory() as work, pushed_images(Path(work)) as p:
        yield p


@pytest.mark.engine
@pytest.mark.registry
def test_verify_asks_the_registry_not_the_engine(pushed: Pushed):
    """verify's RC816 asks the registry itself, as fix does: the answer is the registry's own (the index's
    digest of a multi-platform tag), and it comes with no engine at all."""
    code = (
        "import sys\n"
        "from reprocheck.errors import LookupFailed\n"
        "from reprocheck.oci.distribution import tag_digest\n"
        "def ask(ref):\n"
        "    try:\n"
        "        return tag_digest(ref)\n"
        "    except LookupFailed:\n"
        "        return None\n"
        "print(ask(sys.argv[1]), ask(sys.argv[2]), ask(sys.argv[3]))\n"
    )
    env = {"DOCKER_HOST": "unix:///nonexistent/docker.sock", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-c", code, f"{pushed.repo}:multi", f"{pushed.repo}:1.0", f"{pushed.repo}:absent"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    multi, one, absent = proc.stdout.split("\n")[0].split()
    assert (multi, one, absent) == (pushed.index_digest, pushed.tag_digest, "None")
