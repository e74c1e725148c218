"""``reprocheck fix``: edits that pin what lint finds floating. Imported only by the fix command (and
``lint --fix``), never on the lint path; the Docker side only when ``--offline``/``--from-image`` need it.

Laid out as the rules are: one module per rule family (``fix/base_image.py`` fixes what
``rules/base_image.py`` finds), on top of the machinery (``machinery/``: run, registry, api, diff, tools), the
text edits (``text/``) and the look-ups (``lookups/``: registries, remotes, the engine)."""

from __future__ import annotations

from reprocheck.model.rule import FixKind

from .machinery.api import FixOptions
from .machinery.registry import fix_kinds
from .machinery.run import FixResult, fix_paths

__all__ = ["FixKind", "FixOptions", "FixResult", "fix_kinds", "fix_paths"]
