"""The fixers, from the rule families' modules: this explicit list is the registry (as rules/__init__.py is
for rules). Order matters: a lock one fixer creates is not made again by a later one."""

from __future__ import annotations

from reprocheck.fix import (
    base_image,
    cross_file,
    downloads,
    drift,
    install_sources,
    lock_files,
    os_packages,
    other_installers,
    python_install,
)
from reprocheck.fix.machinery.api import Fixer, FixKind

FIXERS: tuple[Fixer, ...] = (
    base_image.DIGEST_FIXER,
    lock_files.LOCK_FIXER,
    python_install.PIN_FIXER,
    python_install.VCS_FIXER,
    os_packages.PIN_FIXER,
    downloads.DOWNLOAD_FIXER,
    downloads.MODEL_FIXER,
    downloads.PIPED_FIXER,
    os_packages.UPGRADE_FIXER,
    install_sources.FLAGS_FIXER,
    drift.RELOCK_FIXER,
    cross_file.PYTHON_FIXER,
    cross_file.PLATFORM_FIXER,
    lock_files.CONDA_FIXER,
    cross_file.OVERRIDE_FIXER,
    install_sources.INDEX_FIXER,
    base_image.ARG_FIXER,
    other_installers.HINT_FIXER,
    cross_file.IGNORE_FIXER,
)


def fix_kinds() -> dict[str, FixKind]:
    """Rule id -> the kind of fix reprocheck has for it (rules without one are absent)."""
    kinds: dict[str, FixKind] = {}
    for fixer in FIXERS:
        kinds.update(fixer.kinds)
    return kinds
