"""reprocheck: turn "it works on my machine" into a checked fact for containerized ML applications.

Public entry points:

- :func:`lint_paths` lints Dockerfiles (and, later, dependency files) and returns a :class:`Report`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from reprocheck.model.report import Report

__all__ = ["__version__", "lint_paths"]


def lint_paths(*args: Any, **kwargs: Any) -> Report:
    """Lint files and directories; see :func:`reprocheck.lint.run.lint_paths`."""
    from reprocheck.lint.run import lint_paths as _lint_paths

    return _lint_paths(*args, **kwargs)
