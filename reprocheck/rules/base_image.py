"""RC1xx: base images (FROM)."""

from __future__ import annotations

from collections.abc import Iterator

from reprocheck.model.dockerfile import FromInstruction
from reprocheck.model.finding import Finding, Severity
from reprocheck.rules._api import RuleContext, rule


def _judged(node: FromInstruction) -> bool:
    image = node.image
    return not (image.is_scratch or image.is_stage_ref or image.unresolved)


@rule(
    "RC101",
    "unpinned-base-image",
    Severity.ERROR,
    "Base image without a tag, or with `latest`",
    on=FromInstruction,
    equivalents={"hadolint": ("DL3006", "DL3007")},
)
def unpinned_base_image(node: FromInstruction, ctx: RuleContext) -> Iterator[Finding]:
    image = node.image
    if not _judged(node) or image.digest:
        return
    if image.tag is None:
        why = f"base image `{image.raw}` has no tag, so it means `{image.raw}:latest`"
    elif image.tag == "latest":
        why = f"base image `{image.raw}` uses the `latest` tag"
    else:
        return
    yield ctx.finding(
        node.line,
        f"{why}, which moves with every release",
        hint=f"pin a version and its digest: FROM {image.name}:<version>@sha256:<digest>",
        column=node.column,
    )


@rule(
    "RC102",
    "base-image-without-digest",
    Severity.WARNING,
    "Base image pinned by tag only, not by digest",
    on=FromInstruction,
)
def base_image_without_digest(node: FromInstruction, ctx: RuleContext) -> Iterator[Finding]:
    image = node.image
    if not _judged(node) or image.digest or image.tag in (None, "latest"):
        return
    yield ctx.finding(
        node.line,
        f"base image `{image.raw}` is pinned by tag only; its publisher can move the tag to another image",
        hint=f"add the digest: FROM {image.raw}@sha256:<digest> (docker buildx imagetools inspect {image.raw})",
        column=node.column,
    )


@rule(
    "RC103",
    "base-image-arg-without-default",
    Severity.ERROR,
    "Base image from a build argument that has no default",
    on=FromInstruction,
)
def base_image_arg_without_default(node: FromInstruction, ctx: RuleContext) -> Iterator[Finding]:
    names = node.image.unresolved
    if not names:
        return
    listed = ", ".join(f"`{n}`" for n in names)
    yield ctx.finding(
        node.line,
        f"base image `{node.image.written}` depends on {listed}, which has no default: "
        "the image is whatever the caller passes with --build-arg",
        hint=f"give the ARG a pinned default before the first FROM: ARG {names[0]}=<image>:<version>@sha256:<digest>",
        column=node.column,
    )


@rule(
    "RC104",
    "untrusted-base-image-registry",
    Severity.ERROR,
    "Base image from a registry outside `trusted-registries`",
    on=FromInstruction,
    equivalents={"hadolint": ("DL3026",)},
)
def untrusted_base_image_registry(node: FromInstruction, ctx: RuleContext) -> Iterator[Finding]:
    trusted = ctx.options.get("trusted-registries") or ()
    if not trusted or not _judged(node):
        return
    registry = node.image.registry or "docker.io"
    if registry in trusted or (registry == "docker.io" and "hub.docker.com" in trusted):
        return
    yield ctx.finding(
        node.line,
        f"base image `{node.image.raw}` comes from `{registry}`, which is not in trusted-registries",
        hint="use a mirror in a trusted registry, or add the registry to trusted-registries",
        column=node.column,
    )
