"""Findings fix has no source of truth for: it says why in their hint instead of guessing a version.

- RC401 (conda/mamba/micromamba install unpinned): the versions come from the conda solver or from an image
  that holds the environment; reprocheck runs no conda, and ``--from-image`` reads pip, dpkg and apk
  databases only."""

from __future__ import annotations

from collections.abc import Sequence

from reprocheck.fix.machinery.api import FixContext, Fixer, Outcome, Target, explain
from reprocheck.model.finding import Finding

REASONS = {
    "RC401": (
        "conda versions come from the conda solver or an image holding the environment, and fix has neither "
        "(--from-image reads pip, dpkg and apk only): pin name==version=build from `micromamba list` in the "
        "built image, or install a conda-lock file"
    ),
}


def explain_conda(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    return explain(REASONS, findings)


HINT_FIXER = Fixer(frozenset(), explain_conda, hints=frozenset(REASONS))


FIXERS: tuple[Fixer, ...] = (HINT_FIXER,)
