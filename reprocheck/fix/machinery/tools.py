"""Running another tool's lock command (uv, poetry, pipenv) on a copy of the project's files in a temporary
directory: the tool writes its lock there, fix reads it back and writes it with its own atomic, checked write.
The tools' caches, virtual environments and downloaded files stay in that directory, so nothing is written
outside the project; their output is never trusted beyond the lock file they were asked for."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from reprocheck.errors import LookupFailed
from reprocheck.fix.lookups.compiler import find_uv, tool_failure

TIMEOUT = 600


def find_tool(tool: str) -> str:
    """The tool's executable on PATH (uv: the one installed with reprocheck first). Raises LookupFailed naming
    the missing tool."""
    if tool == "uv":
        return find_uv()
    found = shutil.which(tool)
    if found is None:
        raise LookupFailed(f"{tool} is not installed (not found on PATH; `pipx install {tool}` installs it)")
    return found


def tool_env(tmp: Path, extra: Mapping[str, str] = {}) -> dict[str, str]:
    """The caller's environment, with every cache and virtual environment the tools make kept under ``tmp``."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PIPENV_ACTIVE", "POETRY_ACTIVE")}
    cache = tmp / "cache"
    env.update(
        {
            "XDG_CACHE_HOME": str(cache / "xdg"),
            "PIP_CACHE_DIR": str(cache / "pip"),
            "UV_CACHE_DIR": str(cache / "uv"),
            "UV_PYTHON_DOWNLOADS": "never",  # never fetch an interpreter: use one installed here
            "UV_NO_PROGRESS": "1",
            "POETRY_CACHE_DIR": str(cache / "poetry"),
            "POETRY_VIRTUALENVS_PATH": str(tmp / "venvs"),
            "POETRY_VIRTUALENVS_IN_PROJECT": "false",
            "POETRY_NO_INTERACTION": "1",
            "PIPENV_CACHE_DIR": str(cache / "pipenv"),
            "PIPENV_VENV_IN_PROJECT": "1",  # the copy's own .venv, inside tmp
            "PIPENV_IGNORE_VIRTUALENVS": "1",
            "PIPENV_NOSPIN": "1",
            "PIPENV_YES": "1",
            "PIPENV_DONT_LOAD_ENV": "1",
            # poetry and pipenv make virtual environments with virtualenv: its seed wheels in tmp, and no
            # periodic update, a detached process that would go on writing there after the tool returned
            "VIRTUALENV_OVERRIDE_APP_DATA": str(cache / "virtualenv"),
            "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
            "VIRTUALENV_NO_DOWNLOAD": "1",
            "NO_COLOR": "1",
        }
    )
    env.update(extra)
    return env


def copy_inputs(directory: Path, names: Sequence[str], work: Path) -> None:
    """Copy the regular files ``names`` of ``directory`` into ``work`` (absent ones are skipped; symbolic
    links are refused, as fix never reads through them)."""
    work.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = directory / name
        if path.is_symlink():
            raise LookupFailed(f"{name} is a symbolic link; fix reads only regular files")
        if path.is_file():
            shutil.copyfile(path, work / name)


def run_tool(command: Sequence[str], cwd: Path, env: Mapping[str, str], what: str) -> None:
    """Run ``command``; raises LookupFailed with the tool's last words when it fails."""
    try:
        proc = subprocess.run(
            list(command),
            cwd=cwd,
            env=dict(env),
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise LookupFailed(f"`{what}` did not finish within {TIMEOUT} s") from None
    except OSError as exc:
        raise LookupFailed(f"cannot run `{what}`: {exc}") from None
    if proc.returncode != 0:
        raise LookupFailed(f"`{what}` failed: {tool_failure((proc.stderr + proc.stdout).decode('utf-8', 'replace'))}")
