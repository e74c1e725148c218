"""Message helpers shared by the rule families."""

from __future__ import annotations

from collections.abc import Sequence

from reprocheck.model.install import InstallCommand, PackageSpec, SpecKind

JUDGED = (SpecKind.NAME, SpecKind.VCS)


def unpinned(inst: InstallCommand) -> list[PackageSpec]:
    """Packages of an install command that name no exact version (paths and variables are not judged)."""
    return [p for p in inst.packages if p.kind in JUDGED and not p.pinned]


def describe(specs: Sequence[PackageSpec], limit: int = 4) -> str:
    """ "`numpy` (no version), `pandas>=1` (`>=1` is a range) and 3 more"."""
    text = ", ".join(f"`{p.raw}`" + (f" ({p.reason})" if p.reason else "") for p in specs[:limit])
    if len(specs) > limit:
        text += f" and {len(specs) - limit} more"
    return text


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
