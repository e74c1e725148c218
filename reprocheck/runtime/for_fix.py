"""What ``reprocheck fix`` may ask of the Docker side, and nothing else: fix/ reaches the engine, the smoke
spec and verify's probe only through this module (an import contract says so).

- ``local_digests``: a tag's RepoDigests on the local engine (``--offline``);
- ``cached_image``: the image smoke/verify/check last built from a Dockerfile's current inputs
  (``--from-image cached``);
- ``read_image``: what an image holds (Python distributions, dpkg/apk packages), probed in a sandboxed
  container of it (no network, labelled, removed) by verify's probe, and when it was made;
- ``declared_build_args``: the build args the project's smoke spec passes when it builds a Dockerfile.

Each raises ReprocheckError (EngineUnavailable when no engine answers) with one line saying why.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from reprocheck.backend.base import ContainerBackend
from reprocheck.errors import ReprocheckError
from reprocheck.verify.probe import Inventory

__all__ = ["ImageRead", "Inventory", "cached_image", "declared_build_args", "local_digests", "read_image"]


@contextmanager
def _backend() -> Iterator[ContainerBackend]:
    from .engine import connect

    engine = connect()
    try:
        yield engine.backend
    finally:
        engine.backend.close()


def local_digests(image: str) -> tuple[str, ...] | None:
    """The RepoDigests (``repo@sha256:...``) of ``image`` on the local engine; None when it is not there."""
    with _backend() as backend:
        info = backend.inspect(image)
    return None if info is None else tuple(info.repo_digests)


def cached_image(dockerfile: Path) -> str | None:
    """The id of the image built from the current inputs of ``dockerfile``'s project, None when none is."""
    from reprocheck.backend.base import DIGEST_LABEL, PROJECT_LABEL, project_id
    from reprocheck.backend.inputs import inputs_digest

    from .options import RunOptions
    from .project import load_project

    source = load_project(RunOptions(project=dockerfile.parent)).source
    if source.dockerfile.resolve() != dockerfile.resolve():
        raise ReprocheckError(f"the project's smoke/check builds {source.dockerfile.name}, not this file")
    labels = {
        DIGEST_LABEL: inputs_digest(source, source.volatile),
        PROJECT_LABEL: project_id(source.root or source.context),
    }
    with _backend() as backend:
        found = backend.find_images(labels)
    return found[0].id if found else None


@dataclass(frozen=True, slots=True)
class ImageRead:
    inventory: Inventory
    created: str  # ISO 8601, "" when the engine does not say


def read_image(image: str) -> ImageRead | None:
    """What ``image`` holds and when it was made; None when the engine does not have it (never pulled)."""
    from reprocheck.verify.runner import VerifyRunner
    from reprocheck.verify.spec import VerifySpec

    with _backend() as backend:
        info = backend.inspect(image)
        if info is None:
            return None
        inventory = VerifyRunner(backend, VerifySpec(), lambda _message: None).probe(image, info)
    return ImageRead(inventory, info.created)


def declared_build_args(config: Path, dockerfile: Path) -> dict[str, str]:
    """The ``[smoke] build-args`` of ``config`` when its smoke spec builds ``dockerfile``."""
    from reprocheck.smoke.spec import load_spec

    spec = load_spec(config, dockerfile.parent)
    if spec.dockerfile.resolve() != dockerfile.resolve():
        raise ReprocheckError(f"the smoke spec of {config.name} builds {spec.dockerfile.name}, not this Dockerfile")
    return dict(spec.build_args)
