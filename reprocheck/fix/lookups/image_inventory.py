"""``--from-image``: what an image built from the project holds (Python distributions, dpkg/apk packages),
probed in a sandboxed container of it (no network, labelled, removed) by verify's probe.

``--from-image cached`` takes, for each Dockerfile, the image ``smoke``/``verify``/``check`` last built from
exactly its current inputs (found by the inputs-digest label they put on it), so nothing is built here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reprocheck.fix.lookups.oci import LookupFailed

if TYPE_CHECKING:
    from reprocheck.fix.machinery.api import FixContext
    from reprocheck.verify.probe import Inventory

CACHED = "cached"


def _cached_image(dockerfile: Path) -> str:
    """The image built from the current inputs of ``dockerfile``'s project. Raises LookupFailed."""
    from reprocheck.backend.base import DIGEST_LABEL, PROJECT_LABEL, project_id
    from reprocheck.backend.docker_sdk import DockerBackend
    from reprocheck.backend.inputs import inputs_digest
    from reprocheck.errors import ReprocheckError
    from reprocheck.runtime.options import RunOptions
    from reprocheck.runtime.project import load_project

    try:
        source = load_project(RunOptions(project=dockerfile.parent)).source
        if source.dockerfile.resolve() != dockerfile.resolve():
            raise LookupFailed(f"the project's smoke/check builds {source.dockerfile.name}, not this file")
        labels = {
            DIGEST_LABEL: inputs_digest(source, source.volatile),
            PROJECT_LABEL: project_id(source.root or source.context),
        }
        found = DockerBackend().find_images(labels)
    except ReprocheckError as exc:
        raise LookupFailed(f"no cached image: {exc.message}") from None
    if not found:
        raise LookupFailed("no image built from these inputs yet: run `reprocheck smoke` (or check), or --from-image")
    return found[0].id


def image_inventory(ctx: FixContext, dockerfile: Path | None = None) -> Inventory | None:
    """The inventory of ``--from-image`` (None without it). Raises LookupFailed when the image cannot be read."""
    image = ctx.options.from_image
    if not image:
        return None
    if image == CACHED:
        if dockerfile is None:
            return None
        path = dockerfile

        def find() -> str | LookupFailed:
            try:
                return _cached_image(path)
            except LookupFailed as exc:
                return exc

        image = ctx.cached(("cached-image", str(dockerfile.resolve())), find)
        if isinstance(image, LookupFailed):
            raise image
    chosen = str(image)

    def probe() -> Inventory | LookupFailed:
        from reprocheck.backend.docker_sdk import DockerBackend
        from reprocheck.errors import ReprocheckError
        from reprocheck.verify.runner import VerifyRunner
        from reprocheck.verify.spec import VerifySpec

        backend = DockerBackend()
        try:
            info = backend.inspect(chosen)
            if info is None:  # reprocheck never pulls
                return LookupFailed(f"image `{chosen}` is not on the engine (reprocheck never pulls)")
            ctx.cache[("created", chosen)] = info.created
            return VerifyRunner(backend, VerifySpec(), lambda _message: None).probe(chosen)
        except ReprocheckError as exc:
            return LookupFailed(f"cannot look inside `{chosen}`: {exc.message}")

    found = ctx.cached(("inventory", chosen), probe)
    if isinstance(found, LookupFailed):
        raise found
    ctx.cache[("last-image",)] = chosen
    return found  # type: ignore[no-any-return]


def image_created(ctx: FixContext) -> str:
    """When the image last read was made (ISO 8601); else ""."""
    image = ctx.cache.get(("last-image",), "")
    return str(ctx.cache.get(("created", image), ""))
