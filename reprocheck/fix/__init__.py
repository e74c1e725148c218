"""``reprocheck fix``: edits that pin what lint finds floating. Imported only by the fix command (and
``lint --fix``), never on the lint path; the Docker side only when ``--offline``/``--from-image`` need it."""

from __future__ import annotations

from ._api import FixKind, FixOptions
from .registry import fix_kinds
from .run import FixResult, fix_paths

__all__ = ["FixKind", "FixOptions", "FixResult", "fix_kinds", "fix_paths"]
