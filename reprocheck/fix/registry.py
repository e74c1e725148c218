"""The fixers, one module each: the explicit list is the registry (as rules/__init__.py is for rules)."""

from __future__ import annotations

from ._api import Fixer, FixKind
from .base_args import FIXER as BASE_ARGS
from .conda_pip import FIXER as CONDA_PIP
from .dockerignore import FIXER as DOCKERIGNORE
from .downloads import FIXER as DOWNLOADS
from .explained import FIXER as EXPLAINED
from .images import FIXER as IMAGES
from .index_urls import FIXER as INDEX_URLS
from .lock import FIXER as LOCKS
from .lock_flags import FIXER as LOCK_FLAGS
from .lock_overrides import FIXER as LOCK_OVERRIDES
from .lock_platform import FIXER as LOCK_PLATFORM
from .lock_python import FIXER as LOCK_PYTHON
from .lock_tools import FIXER as LOCK_TOOLS
from .models import FIXER as MODELS
from .os_packages import FIXER as OS_PACKAGES
from .pip_pins import FIXER as PIP_PINS
from .pipelines import FIXER as PIPELINES
from .vcs import FIXER as VCS

FIXERS: tuple[Fixer, ...] = (
    IMAGES,
    LOCKS,
    PIP_PINS,
    VCS,
    OS_PACKAGES,
    DOWNLOADS,
    MODELS,
    PIPELINES,
    LOCK_FLAGS,
    LOCK_TOOLS,
    LOCK_PYTHON,
    LOCK_PLATFORM,
    CONDA_PIP,
    LOCK_OVERRIDES,
    INDEX_URLS,
    BASE_ARGS,
    EXPLAINED,
    DOCKERIGNORE,
)


def fix_kinds() -> dict[str, FixKind]:
    """Rule id -> the kind of fix reprocheck has for it (rules without one are absent)."""
    kinds: dict[str, FixKind] = {}
    for fixer in FIXERS:
        kinds.update(fixer.kinds)
    return kinds
