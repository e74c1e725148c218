"""``reprocheck --version``: the version, the commit it was built from, and the Python it runs on. A source
checkout (an editable install) asks git, so the commit named is the one checked out now."""

from __future__ import annotations

import platform
import sys
from pathlib import Path


def version_line() -> str:
    from reprocheck import __commit__, __version__

    version, commit = __version__, __commit__
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / ".git").exists() and (checkout / "pyproject.toml").is_file():
        from reprocheck._gitversion import from_git

        found = from_git(checkout)
        if found is not None:
            version, commit = found
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"reprocheck {version} (commit {commit[:12] or 'unknown'}; {python} at {sys.executable})"
