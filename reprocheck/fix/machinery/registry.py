"""The fixers: each rule family's module lists its own (``FIXERS`` at its end), and this list of families is
the registry (as rules/__init__.py is for rules). A new fix in an existing family touches only that module.
Order matters: the lock a fixer of ``lock_files`` creates is not made again by a later one (``cross_file``)."""

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
from reprocheck.fix.machinery.api import Fixer
from reprocheck.model.rule import FixKind
from reprocheck.rules import META

FAMILIES = (
    base_image,
    lock_files,
    python_install,
    os_packages,
    downloads,
    install_sources,
    drift,
    cross_file,
    other_installers,
)
FIXERS: tuple[Fixer, ...] = tuple(fixer for family in FAMILIES for fixer in family.FIXERS)


def fix_kinds() -> dict[str, FixKind]:
    """Rule id -> the kind of fix reprocheck has for it, as the rule declares it (rules without one are
    absent). tests/fix/test_machinery_registry.py holds the declarations and FIXERS together."""
    return {rid: meta.fix for rid, meta in META.items() if meta.fix is not FixKind.NONE}
