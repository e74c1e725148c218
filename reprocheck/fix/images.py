"""RC101/RC102: pin image references by digest, keeping the tag for humans (``image:tag@sha256:...``).

A tag pinned to the digest it points at today is safe: today's build pulls exactly that. A reference
without a tag or with ``latest`` is unsafe: the digest freezes whatever ``latest`` happens to be now.
"""

from __future__ import annotations

from collections.abc import Sequence

from reprocheck.model.dockerfile import ImageRef
from reprocheck.model.finding import Finding

from ._api import FixContext, Fixer, FixKind, Outcome, Target
from .edits import Edit
from .image_sites import image_sites
from .oci import LookupFailed, RegistryClient, reference

SAFE_RULE, UNSAFE_RULE = "RC102", "RC101"


def digest_for(ctx: FixContext, image: ImageRef) -> str:
    """The digest ``image`` points at: the registry's answer, or with ``--offline`` the local engine's.
    Raises LookupFailed with the reason."""
    platform = ctx.options.platform
    key = ("digest", image.name, image.tag or "latest", platform or "", str(ctx.options.offline))

    def compute() -> str | LookupFailed:
        try:
            if ctx.options.offline:
                from .engine_digests import local_digest

                return local_digest(image.name, image.tag or "latest")
            client: RegistryClient = ctx.cached(("registry-client",), lambda: RegistryClient(ctx.options.timeout))
            return client.digest(reference(image.registry, image.repository, image.tag), platform)
        except LookupFailed as exc:
            return exc

    found = ctx.cached(key, compute)
    if isinstance(found, LookupFailed):
        raise found
    return str(found)


def fix_images(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    if target.dockerfile is None:
        return out
    flagged = {(f.location.line, f.rule): f for f in findings}
    for site in image_sites(target.dockerfile, target.source):
        image = site.image
        if image.digest or image.unresolved or image.is_scratch:
            continue
        rule = UNSAFE_RULE if image.tag in (None, "latest") else SAFE_RULE
        finding = flagged.get((site.instruction_line, rule))
        if site.kind == "from" and finding is None:
            continue  # suppressed, or not selected
        if not ctx.allows(rule):
            continue
        try:
            digest = digest_for(ctx, image)
        except LookupFailed as exc:
            if finding is not None:
                out.fail(finding, str(exc))
            continue
        written = target.source.line(site.line)[site.start_col : site.end_col]
        tagged = written if image.tag else f"{written}:latest"
        out.edits.append(
            Edit(
                target.shown,
                site.line,
                site.start_col,
                site.end_col,
                f"{tagged}@{digest}",
                rule,
                f"{written} pinned to {digest[:19]}…",
            )
        )
    return out


FIXER = Fixer({UNSAFE_RULE: FixKind.UNSAFE, SAFE_RULE: FixKind.SAFE}, fix_images, every_dockerfile=True)
