"""RC101/RC102: pin image references by digest, keeping the tag for humans (``image:tag@sha256:...``);
RC105/RC106 the same for the images a build pulls outside FROM (``COPY --from``, ``RUN --mount=from=``,
``# syntax=``), each edit filed under the rule whose finding it fixes.

A tag pinned to the digest it points at today is safe: today's build pulls exactly that. A reference
without a tag or with ``latest`` is unsafe: the digest freezes whatever ``latest`` happens to be now.

RC103: ``ARG BASE`` / ``FROM ${BASE}`` gets the default the project itself declares for it: the
``build-args`` of its smoke spec (``[smoke]`` in reprocheck.toml, ``[tool.reprocheck.smoke]``), which is what
``reprocheck check`` builds this Dockerfile with. Safe: a build that passes the argument is unchanged, and
one that does not failed before. Only a value pinned by digest is written (else RC101/RC102 would flag the
default at once); with no declared value the finding stays and says so, since any other value would be a
guess."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from reprocheck.errors import LookupFailed
from reprocheck.fix.machinery.api import FixContext, Fixer, Outcome, Target
from reprocheck.fix.text.edits import Edit
from reprocheck.fix.text.image_sites import image_sites
from reprocheck.model.dockerfile import FromInstruction, ImageRef, KeyValueInstruction
from reprocheck.model.finding import Finding
from reprocheck.oci.distribution import RegistryClient, reference

SAFE_RULE, UNSAFE_RULE = "RC102", "RC101"
OTHER_SAFE_RULE, OTHER_UNSAFE_RULE = "RC106", "RC105"  # the same, for an image named outside FROM


def digest_for(ctx: FixContext, image: ImageRef) -> str:
    """The digest ``image`` points at: the registry's answer, or with ``--offline`` the local engine's.
    Raises LookupFailed with the reason."""
    platform = ctx.options.platform
    key = ("digest", image.name, image.tag or "latest", platform or "", str(ctx.options.offline))

    def compute() -> str | LookupFailed:
        try:
            if ctx.options.offline:
                from reprocheck.fix.lookups.engine_digests import local_digest

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
    reached: set[tuple[int, str]] = set()
    for site in image_sites(target.dockerfile, target.source):
        image = site.image
        if image.digest or image.unresolved or image.is_scratch:
            continue
        rule = _rule_of(site.kind, image)
        finding = flagged.get((site.instruction_line, rule))
        if finding is None:
            continue  # suppressed, or not selected
        reached.add((site.instruction_line, rule))
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
    for key, finding in flagged.items():
        if key not in reached:
            out.fail(finding, _not_editable(finding))
    return out


def _not_editable(finding: Finding) -> str:
    """Why a reference the rules flag has no edit: fix pins only what it can tell is an image."""
    if finding.rule in (OTHER_SAFE_RULE, OTHER_UNSAFE_RULE):
        return (
            "a bare name may be a build context given with --build-context, not an image, so fix leaves it: "
            "write <image>:<version>@sha256:<digest>, or suppress the finding on that line if it is a context"
        )
    return "the reference is not written where fix can edit it (split over lines, or a variable): pin it by hand"


def _rule_of(kind: str, image: ImageRef) -> str:
    """The rule whose finding an unpinned reference at a site of ``kind`` is: FROM (or the ARG default it
    reads) is RC101/RC102, any other image RC105/RC106."""
    floating = image.tag in (None, "latest")
    if kind in ("from", "arg"):
        return UNSAFE_RULE if floating else SAFE_RULE
    return OTHER_UNSAFE_RULE if floating else OTHER_SAFE_RULE


DIGEST_FIXER = Fixer(frozenset({UNSAFE_RULE, SAFE_RULE, OTHER_UNSAFE_RULE, OTHER_SAFE_RULE}), fix_images)


ARG_RULE = "RC103"


def _declared(ctx: FixContext, dockerfile: Path) -> tuple[dict[str, str], str]:
    """The build args the project's smoke spec passes when it builds ``dockerfile``, and where they are
    declared; or ({}, why none)."""
    if ctx.options.isolated:
        return {}, "--isolated: no configuration read, so no declared build argument"
    from reprocheck.errors import ReprocheckError
    from reprocheck.lint.config import find_config
    from reprocheck.runtime.for_fix import declared_build_args

    config = Path(ctx.options.config) if ctx.options.config else find_config(dockerfile.parent)
    if config is None:
        return {}, "the project declares no value for it (no reprocheck configuration with [smoke] build-args)"
    if not ctx.inside(config):
        return {}, f"{config} is outside the paths given to fix"
    try:
        args = declared_build_args(config, dockerfile)
    except ReprocheckError as exc:
        return {}, f"the project declares no value for it ({exc.message})"
    return args, f"[smoke] build-args of {config.name}"


def _global_arg(target: Target, name: str) -> KeyValueInstruction | None:
    """The ``ARG name`` without default before the first FROM, written on one line."""
    assert target.dockerfile is not None
    for ins in target.dockerfile.instructions:
        if ins.stage >= 0:
            break
        if isinstance(ins, KeyValueInstruction) and ins.keyword == "ARG" and (name, None) in ins.pairs:
            return ins if ins.line == ins.end_line else None
    return None


def fix_base_args(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    flagged = {f.location.line: f for f in findings if f.rule == ARG_RULE}
    if target.dockerfile is None or not flagged:
        return out
    declared, where = _declared(ctx, target.path)
    done: set[str] = set()
    for ins in target.dockerfile.instructions:
        finding = flagged.get(ins.line)
        if not isinstance(ins, FromInstruction) or finding is None:
            continue
        for name in ins.image.unresolved:
            value = declared.get(name)
            arg = _global_arg(target, name)
            why = ""
            if value is None:
                why = f"{where}" if not declared else f"{where} has no {name}"
            elif "@sha256:" not in value:
                why = f"{where} passes {name}={value}, not pinned by digest: pin it there first"
            elif arg is None or re.search(r"\s", value):
                why = f"no plain `ARG {name}` before the first FROM to give the default to"
            if why:
                out.fail(finding, f"{why}; give it a pinned default: ARG {name}=<image>:<version>@sha256:<digest>")
                break
            assert arg is not None
            assert value is not None
            if name in done:
                continue
            match = re.search(rf"(?<![\w$={{]){re.escape(name)}(?=[ \t]|$)", target.source.line(arg.line))
            if match is None or match.start() < 3:
                out.fail(finding, f"`ARG {name}` is not written plainly enough to edit")
                break
            done.add(name)
            note = f"default {name}={value}, as {where} builds it"
            out.edits.append(Edit(target.shown, arg.line, match.end(), match.end(), f"={value}", ARG_RULE, note))
    return out


ARG_FIXER = Fixer(frozenset({ARG_RULE}), fix_base_args)


FIXERS: tuple[Fixer, ...] = (
    DIGEST_FIXER,
    ARG_FIXER,
)
