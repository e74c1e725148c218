"""reprocheck: turn "it works on my machine" into a checked fact for containerized ML applications.

Public entry point: :func:`lint_paths` lints Dockerfiles and dependency files (requirements, pyproject,
uv/poetry/Pipfile locks, conda environments) and returns a :class:`Report`. The commands (``lint``, ``fix``,
``check``, ``smoke``, ``verify``, ``rebuild``, ``record``, ``init``, ``audit``...) are in ``reprocheck.cli``;
ARCHITECTURE.md maps the packages and how data flows through them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

try:  # written by the build (hatch_build.py): the version and commit this copy was built from
    from reprocheck._build_info import COMMIT as __commit__
    from reprocheck._build_info import VERSION as __version__
except ImportError:  # a source tree never built: `reprocheck --version` asks git
    __version__, __commit__ = "0.1.dev0", ""

if TYPE_CHECKING:
    from reprocheck.model.report import Report

__all__ = ["__commit__", "__version__", "lint_paths"]


def lint_paths(*args: Any, **kwargs: Any) -> Report:
    """Lint files and directories; see :func:`reprocheck.lint.run.lint_paths`."""
    from reprocheck.lint.run import lint_paths as _lint_paths

    return _lint_paths(*args, **kwargs)
