"""The rule registry: importing a family module registers its rules. This list is the only registry."""

from __future__ import annotations

from collections.abc import Mapping

from reprocheck.model.rule import RuleMeta
from reprocheck.rules import (  # noqa: F401  (imported for registration)
    base_image,
    cross_file,
    downloads,
    drift,
    install_sources,
    lock_files,
    meta,
    ml_artifacts,
    ml_cuda,
    ml_fetch,
    ml_packages,
    ml_runtime_env,
    ml_system_libs,
    os_packages,
    other_installers,
    python_install,
    runtime,
)
from reprocheck.rules._api import Rule, RuleContext, registered

ALL_RULES: tuple[Rule, ...] = tuple(sorted(registered(), key=lambda r: r.meta.id))
RULES_BY_ID: Mapping[str, Rule] = {r.meta.id: r for r in ALL_RULES}
META: Mapping[str, RuleMeta] = {r.meta.id: r.meta for r in ALL_RULES}

__all__ = ["ALL_RULES", "META", "RULES_BY_ID", "Rule", "RuleContext"]
