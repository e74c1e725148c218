"""Container image references: ``[registry/]repository[:tag][@digest]``."""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

from reprocheck.model.dockerfile import ImageRef

_VAR_NAME = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def parse_image_ref(raw: str, written: str, stage_aliases: AbstractSet[str] | None = None) -> ImageRef:
    """Split a (variable-substituted) image reference; variables left in it are listed as unresolved."""
    unresolved = tuple(dict.fromkeys(_VAR_NAME.findall(raw)))
    if raw == "scratch":
        return ImageRef(raw, written, repository="scratch", is_scratch=True)
    if stage_aliases and raw.lower() in stage_aliases:
        return ImageRef(raw, written, repository=raw, is_stage_ref=True)
    name, _, digest = raw.partition("@")
    registry: str | None = None
    first, slash, remainder = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry = first
        path = remainder
    else:
        path = name
    repo, tag = path, None
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        tag = last.rsplit(":", 1)[1]
        repo = path[: len(path) - len(tag) - 1]
    return ImageRef(
        raw,
        written,
        registry=registry,
        repository=repo,
        tag=tag or None,
        digest=digest or None,
        unresolved=unresolved,
    )
