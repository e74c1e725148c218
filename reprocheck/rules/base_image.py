"""RC1xx: the images a build starts from or pulls (FROM, COPY --from, RUN --mount from=, # syntax=), and
the user the final image runs as."""

from __future__ import annotations

from collections.abc import Iterator

from reprocheck.model.dockerfile import Dockerfile, FromInstruction, ImageKind, ImageUse
from reprocheck.model.finding import Finding, Severity
from reprocheck.model.rule import FixKind
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
    fix=FixKind.UNSAFE,
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
    fix=FixKind.SAFE,
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
    fix=FixKind.SAFE,
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
    on=(FromInstruction, ImageUse),
    equivalents={"hadolint": ("DL3026",)},
)
def untrusted_base_image_registry(node: FromInstruction | ImageUse, ctx: RuleContext) -> Iterator[Finding]:
    trusted = ctx.options.get("trusted-registries") or ()
    if not trusted:
        return
    if isinstance(node, ImageUse):
        if node.kind is ImageKind.FROM or node.image.unresolved:
            return  # FROM images are judged on their instruction
        what = _subject(node)
    elif _judged(node):
        what = f"base image `{node.image.raw}`"
    else:
        return
    registry = node.image.registry or "docker.io"
    if registry in trusted or (registry == "docker.io" and "hub.docker.com" in trusted):
        return
    yield ctx.finding(
        node.line,
        f"{what} comes from `{registry}`, which is not in trusted-registries",
        hint="use a mirror in a trusted registry, or add the registry to trusted-registries",
        column=node.column,
    )


def _other_image(node: ImageUse) -> bool:
    """An image pulled by something else than FROM, whose reference can be judged."""
    return node.kind is not ImageKind.FROM and not node.image.unresolved and not node.image.is_scratch


@rule(
    "RC105",
    "unpinned-image-reference",
    Severity.ERROR,
    "Image in `COPY --from`, `RUN --mount from=` or `# syntax=` without a tag, or with `latest`",
    on=ImageUse,
    fix=FixKind.UNSAFE,
)
def unpinned_image_reference(node: ImageUse, ctx: RuleContext) -> Iterator[Finding]:
    image = node.image
    if not _other_image(node) or image.digest or image.tag not in (None, "latest"):
        return
    why = "has no tag" if image.tag is None else "uses the `latest` tag"
    yield ctx.finding(
        node.line,
        f"{_subject(node)} {why}, which moves with every release",
        hint=f"pin a version and its digest: {image.name}:<version>@sha256:<digest>",
        column=node.column,
    )


@rule(
    "RC106",
    "image-reference-without-digest",
    Severity.WARNING,
    "Image in `COPY --from`, `RUN --mount from=` or `# syntax=` pinned by tag only, not by digest",
    on=ImageUse,
    fix=FixKind.SAFE,
)
def image_reference_without_digest(node: ImageUse, ctx: RuleContext) -> Iterator[Finding]:
    image = node.image
    if not _other_image(node) or image.digest or image.tag in (None, "latest"):
        return
    yield ctx.finding(
        node.line,
        f"{_subject(node)} is pinned by tag only; its publisher can move the tag to another image",
        hint=f"add the digest: {image.raw}@sha256:<digest> (docker buildx imagetools inspect {image.raw})",
        column=node.column,
    )


def _subject(node: ImageUse) -> str:
    raw = node.image.raw
    if node.kind is ImageKind.COPY_FROM:
        return f"`COPY --from={raw}` copies from an image that"
    if node.kind is ImageKind.MOUNT_FROM:
        return f"`RUN --mount=...,from={raw}` mounts an image that"
    return f"the BuildKit frontend `# syntax={raw}`"


def _is_root(user: str) -> bool:
    name = user.split(":", 1)[0].strip()
    return name in ("root", "0")


@rule(
    "RC107",
    "last-user-is-root",
    Severity.WARNING,
    "The final stage's last `USER` is root",
    on=Dockerfile,
    equivalents={"hadolint": ("DL3002",)},
)
def last_user_is_root(df: Dockerfile, ctx: RuleContext) -> Iterator[Finding]:
    if not df.stages:
        return
    stage: int | None = len(df.stages) - 1
    seen: set[int] = set()
    while stage is not None and stage not in seen:  # a stage built FROM an earlier one inherits its USER
        seen.add(stage)
        users = [i for i in df.in_stage(stage) if i.keyword == "USER" and not i.onbuild]
        if users:
            last = users[-1]
            if _is_root(last.value):
                yield ctx.finding(
                    last.line,
                    f"the image runs as `{last.value}`: the final stage's last USER is root",
                    hint="create an unprivileged user and end with `USER <name>` (or a numeric UID such as 10001)",
                )
            return
        stage = df.stages[stage].parent
