"""``--from-image``: what an image built from the project holds (Python distributions, dpkg/apk packages),
probed in a sandboxed container of it (no network, labelled, removed) by verify's probe.

``--from-image cached`` takes, for each Dockerfile, the image ``smoke``/``verify``/``check`` last built from
exactly its current inputs (found by the inputs-digest label they put on it), so nothing is built here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reprocheck.errors import LookupFailed

if TYPE_CHECKING:
    from reprocheck.fix.machinery.api import FixContext
    from reprocheck.runtime.for_fix import Inventory

CACHED = "cached"


def _cached_image(dockerfile: Path) -> str:
    """The image built from the current inputs of ``dockerfile``'s project. Raises LookupFailed."""
    from reprocheck.errors import ReprocheckError
    from reprocheck.runtime.for_fix import cached_image

    try:
        found = cached_image(dockerfile)
    except ReprocheckError as exc:
        raise LookupFailed(f"no cached image: {exc.message}") from None
    if not found:
        raise LookupFailed("no image built from these inputs yet: run `reprocheck smoke` (or check), or --from-image")
    return found


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
        from reprocheck.errors import ReprocheckError
        from reprocheck.runtime.for_fix import read_image

        try:
            read = read_image(chosen)
        except ReprocheckError as exc:
            return LookupFailed(f"cannot look inside `{chosen}`: {exc.message}")
        if read is None:  # reprocheck never pulls
            return LookupFailed(f"image `{chosen}` is not on the engine (reprocheck never pulls)")
        ctx.cache[("created", chosen)] = read.created
        return read.inventory

    found = ctx.cached(("inventory", chosen), probe)
    if isinstance(found, LookupFailed):
        raise found
    ctx.cache[("last-image",)] = chosen
    return found  # type: ignore[no-any-return]


def image_created(ctx: FixContext) -> str:
    """When the image last read was made (ISO 8601); else ""."""
    image = ctx.cache.get(("last-image",), "")
    return str(ctx.cache.get(("created", image), ""))
