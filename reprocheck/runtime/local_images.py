"""Base images that exist only on this engine: the engine has the image and no registry digest for it
(``RepoDigests`` empty: built here, loaded from a file, or pulled from nowhere). No digest can ever be pinned
for such an image, so RC102's usual advice (look up the registry's digest) cannot be followed; ``check``
recognises it and says what can be done instead."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from reprocheck.backend.base import ContainerBackend
from reprocheck.model.finding import Finding

RULE = "RC102"


def base_images(dockerfile: Path) -> list[str]:
    """The external base images the Dockerfile builds FROM (ARG defaults substituted), without stages."""
    from reprocheck.parsing.dockerfile import parse_dockerfile

    try:
        df = parse_dockerfile(dockerfile.read_bytes(), str(dockerfile))
    except OSError:
        return []
    out: list[str] = []
    for stage in df.stages:
        image = stage.image
        if image.is_scratch or image.is_stage_ref or image.digest or image.unresolved or not image.raw:
            continue
        if image.raw not in out:
            out.append(image.raw)
    return out


def local_images(backend: ContainerBackend, images: Iterable[str]) -> list[str]:
    """Of ``images``, those the engine has with no registry digest."""
    found: list[str] = []
    for ref in images:
        try:
            info = backend.inspect(ref)
        except Exception:  # an engine that cannot say leaves the finding as it is
            continue
        if info is not None and not info.repo_digests:
            found.append(ref)
    return found


def advice(image: str) -> str:
    return (
        f"`{image}` exists only on this engine (it has no registry digest), so no digest can be pinned for it. "
        f"Pin it by ID instead: build on an image you name by ID (`reprocheck check --image <image id>` checks an "
        f"image built elsewhere); or push it to your registry and pin FROM {image}@sha256:<digest>; or accept it "
        f'for now with the reason beside it: [tool.reprocheck.severity] RC102 = "info"  # <why, until when>'
    )


def explain_local(findings: Sequence[Finding], local: Sequence[str]) -> tuple[Finding, ...]:
    """RC102 findings about a local image, with the message and hint that fit it. Pure."""
    if not local:
        return tuple(findings)
    out = []
    for f in findings:
        hit = next((img for img in local if f.rule == RULE and f"`{img}`" in f.message), None)
        if hit is None:
            out.append(f)
            continue
        out.append(
            replace(
                f,
                message=f"{f.message}; it is a local image: the engine has it, with no registry digest",
                hint=advice(hit),
            )
        )
    return tuple(out)
