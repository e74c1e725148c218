"""The version from git, standard library only (the build hook loads this file by path, before the package is
installed): a release tag ``vX.Y.Z`` on the commit gives ``X.Y.Z``; N commits after it, ``X.(Y+1).devN+g<commit>``;
with no tag yet, ``0.1.devN+g<commit>`` (N: the commits so far). A tree with uncommitted changes adds
``.dirty`` to the local part, so a build of unreviewed code never passes for a commit."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

_TAG = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")
_DESCRIBE = re.compile(r"^(?P<tag>v\d+\.\d+\.\d+)-(?P<distance>\d+)-g(?P<sha>[0-9a-f]+)(?P<dirty>-dirty)?$")
FIRST = (0, 1)  # the minor version the first release will have


def pep440(tag: str | None, distance: int, sha: str, dirty: bool = False) -> str:
    """The version for a commit ``distance`` commits after ``tag`` (None: no release yet)."""
    local = f"+g{sha[:9]}" + (".dirty" if dirty else "") if sha else ""
    if tag is not None:
        m = _TAG.match(tag)
        if m is None:
            raise ValueError(f"release tags look like v1.2.3, not {tag!r}")
        major, minor, patch = (int(x) for x in m.groups())
        if distance == 0:
            return f"{major}.{minor}.{patch}" + (f"+g{sha[:9]}.dirty" if dirty else "")
        return f"{major}.{minor + 1}.dev{distance}{local}"
    return f"{FIRST[0]}.{FIRST[1]}.dev{distance}{local}"


def _git(root: Path, *args: str) -> str | None:
    try:
        r = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout.strip() if r.returncode == 0 else None


def from_git(root: Path) -> tuple[str, str] | None:
    """``(version, full commit)`` of the checkout at ``root``; None outside a git checkout."""
    sha = _git(root, "rev-parse", "HEAD")
    if not sha:
        return None
    dirty = bool(_git(root, "status", "--porcelain", "--untracked-files=no"))
    described = _git(root, "describe", "--tags", "--long", "--match", "v[0-9]*.[0-9]*.[0-9]*")
    m = _DESCRIBE.match(described or "")
    if m is not None:
        return pep440(m["tag"], int(m["distance"]), sha, dirty), sha
    count = _git(root, "rev-list", "--count", "HEAD")
    return pep440(None, int(count or 0), sha, dirty), sha


def build_info(version: str, commit: str) -> str:
    """The text of ``reprocheck/_build_info.py``, written by the build into every wheel."""
    return f'"""Written by the build (hatch_build.py); not in git."""\n\nVERSION = {version!r}\nCOMMIT = {commit!r}\n'
