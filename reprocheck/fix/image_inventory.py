"""``--from-image``: what an image built from the project holds (Python distributions, dpkg/apk packages),
probed in a sandboxed container of it (no network, labelled, removed) by verify's probe."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .oci import LookupFailed

if TYPE_CHECKING:
    from reprocheck.verify.probe import Inventory

    from ._api import FixContext


def image_inventory(ctx: FixContext) -> Inventory | None:
    """The inventory of ``--from-image`` (None without it). Raises LookupFailed when the image cannot be read."""
    image = ctx.options.from_image
    if not image:
        return None

    def probe() -> Inventory | LookupFailed:
        from reprocheck.backend.docker_sdk import DockerBackend
        from reprocheck.errors import ReprocheckError
        from reprocheck.verify.runner import VerifyRunner
        from reprocheck.verify.spec import VerifySpec

        backend = DockerBackend()
        try:
            if backend.inspect(image) is None:  # reprocheck never pulls
                return LookupFailed(f"image `{image}` is not on the engine (reprocheck never pulls)")
            info = backend.inspect(image)
            ctx.cache[("created", image)] = info.created if info else ""
            return VerifyRunner(backend, VerifySpec(), lambda _message: None).probe(image)
        except ReprocheckError as exc:
            return LookupFailed(f"cannot look inside `{image}`: {exc.message}")

    found = ctx.cached(("inventory", image), probe)
    if isinstance(found, LookupFailed):
        raise found
    return found  # type: ignore[no-any-return]


def image_created(ctx: FixContext) -> str:
    """When ``--from-image`` was made (ISO 8601), once its inventory was read; else ""."""
    return str(ctx.cache.get(("created", ctx.options.from_image or ""), ""))
