"""Images pushed to a real local registry, with known digests, and a multi-platform index made of them."""

from __future__ import annotations

import hashlib
import json
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.engine import BASE_IMAGE
from tests.support.registry import local_registry

DOCKER = "/usr/bin/docker"
LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


@dataclass(frozen=True)
class Pushed:
    registry: str  # localhost:PORT
    repo: str  # localhost:PORT/reprocheck-fix/app
    tag_digest: str  # digest of repo:1.0 (an amd64 image manifest)
    other_digest: str  # digest of repo:other (the "arm64" manifest)
    index_digest: str  # digest of repo:multi, an index of both


def _docker(*args: str, stdin: str | None = None) -> str:
    proc = subprocess.run([DOCKER, *args], input=stdin, capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)}: {proc.stderr[-800:]}")
    return proc.stdout.strip()


def _manifest(registry: str, repo_path: str, ref: str) -> tuple[bytes, str]:
    req = urllib.request.Request(f"http://{registry}/v2/{repo_path}/manifests/{ref}", headers={"Accept": MANIFEST})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read(), r.headers["Docker-Content-Digest"]


@contextmanager
def pushed_images(workdir: Path) -> Iterator[Pushed]:
    run = uuid.uuid4().hex[:12]
    built: list[str] = []
    with local_registry(workdir) as registry:
        repo_path = "reprocheck-fix/app"
        repo = f"{registry}/{repo_path}"
        try:
            for tag, variant in (("1.0", "amd64"), ("other", "arm64")):
                dockerfile = f"FROM {BASE_IMAGE}\nLABEL io.reprocheck.run={run} variant={variant}\n"
                image_id = _docker(
                    "build", "-q", "--label", f"io.reprocheck.run={run}", "-t", f"{repo}:{tag}", "-", stdin=dockerfile
                )
                built.append(image_id)
                _docker("push", "-q", f"{repo}:{tag}")
            first, first_digest = _manifest(registry, repo_path, "1.0")
            second, second_digest = _manifest(registry, repo_path, "other")
            index = {
                "schemaVersion": 2,
                "mediaType": LIST,
                "manifests": [
                    {
                        "mediaType": MANIFEST,
                        "size": len(first),
                        "digest": first_digest,
                        "platform": {"architecture": "amd64", "os": "linux"},
                    },
                    {
                        "mediaType": MANIFEST,
                        "size": len(second),
                        "digest": second_digest,
                        "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"},
                    },
                ],
            }
            body = json.dumps(index).encode()
            put = urllib.request.Request(
                f"http://{registry}/v2/{repo_path}/manifests/multi",
                data=body,
                method="PUT",
                headers={"Content-Type": LIST},
            )
            with urllib.request.urlopen(put, timeout=30) as r:
                assert r.status == 201
            yield Pushed(registry, repo, first_digest, second_digest, "sha256:" + hashlib.sha256(body).hexdigest())
        finally:
            for image_id in built:
                subprocess.run([DOCKER, "rmi", "-f", image_id], capture_output=True, timeout=120, check=False)
