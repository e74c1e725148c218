"""The requirements compiler: pip-compile when the image runs reprocheck's own Python, uv's resolver for
another one. Both are dependencies of reprocheck, so a fix never waits for a tool the user lacks.

- pip-tools (``python -m piptools compile``, never imported) resolves for the interpreter it runs in, so it
  serves images whose Python is reprocheck's (>= 3.11);
- ``uv pip compile --python-version X.Y --python-platform <the image's>`` resolves for a target Python and
  platform without that interpreter: images on Python 3.9, or on arm64 from an amd64 machine. uv is found
  next to reprocheck (the ``uv`` distribution's binary), else on PATH.
"""

from __future__ import annotations

import importlib.util
import os
import platform as host_platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from reprocheck.errors import LookupFailed

TIMEOUT = 600
_ARCH = {"amd64": "x86_64", "arm64": "aarch64", "arm64/v8": "aarch64"}
_HOST_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


_FETCH = re.compile(r"(?:Failed to (?:fetch|download)|Could not fetch URL)[^:]*:\s*`?([a-z+]+://[^\s`]+?)`?:?\s*$")


def tool_failure(text: str) -> str:
    """One line for a resolver that failed: its last words, and the URL it could not fetch when it named
    one (uv puts the URL several lines above the cause: ``cause: Connection refused (os error 111)``)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return "no output"
    last = re.sub(r"^(?:caused by|cause):\s*", "", lines[-1], flags=re.IGNORECASE)
    url = next((m.group(1) for ln in reversed(lines) if (m := _FETCH.search(ln))), None)
    return (f"cannot fetch {url}: {last}" if url and url not in last else last)[:300]


def host_python() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def minor(python: str | None) -> str | None:
    """``3.9.18`` -> ``3.9``; None stays None."""
    return ".".join(python.split(".")[:2]) if python else None


def uv_platform(platform: str | None, libc: str = "glibc") -> str | None:
    """uv's ``--python-platform`` for a Docker platform (``linux/amd64``) and C library, or None. No platform:
    linux on this machine's architecture (images run linux)."""
    if platform is None:
        machine = _HOST_ARCH.get(host_platform.machine().lower())
    else:
        system, _, arch = platform.partition("/")
        machine = _ARCH.get(arch) if system == "linux" else None
    if machine is None:
        return None
    return f"{machine}-unknown-linux-{'musl' if libc == 'musl' else 'gnu'}"


def find_uv() -> str:
    """uv's executable: the one installed with reprocheck (the ``uv`` distribution), else uv on PATH.
    Raises LookupFailed saying what to install."""
    if importlib.util.find_spec("uv") is not None:
        from uv import find_uv_bin

        try:
            return str(find_uv_bin())
        except FileNotFoundError:
            pass
    found = shutil.which("uv")
    if found is None:
        raise LookupFailed("uv is not installed next to reprocheck nor on PATH (pip install uv)")
    return found


@dataclass(frozen=True, slots=True)
class Compile:
    """One compile of ``source`` (a file name in ``cwd``) into ``output`` (which may hold pins to prefer)."""

    source: str
    output: Path
    hashes: bool = False
    plain: bool = False  # a resolution, not a lock: no header, no annotations
    index_url: str | None = None
    only_index: bool = False  # ``index_url`` alone: no index from pip's or uv's configuration
    allow_unsafe: bool = False  # pip-tools: pin pip and setuptools too (uv always does)
    lock_name: str | None = None  # the lock's own name, for the command its header names


def _env(job: Compile) -> dict[str, str]:
    env = dict(os.environ)
    if job.only_index:
        env = {k: v for k, v in env.items() if not k.startswith(("PIP_", "UV_"))}
        env["PIP_CONFIG_FILE"] = os.devnull
    if job.lock_name:
        env["CUSTOM_COMPILE_COMMAND"] = f"pip-compile --generate-hashes --output-file={job.lock_name} {job.source}"
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["UV_NO_PROGRESS"] = "1"
    return env


def _piptools(job: Compile) -> list[str]:
    command = [sys.executable, "-m", "piptools", "compile", "--quiet", "--strip-extras"]
    if job.allow_unsafe:
        command.append("--allow-unsafe")
    if job.hashes:
        command.append("--generate-hashes")
    if job.plain:
        command += ["--no-header", "--no-annotate"]
    command += ["--no-emit-index-url", "--no-emit-trusted-host", "--no-emit-find-links"]
    if job.index_url:
        command += ["--index-url", job.index_url]
    return [*command, "--output-file", str(job.output), job.source]


def _uv(job: Compile, python: str, platform: str) -> list[str]:
    command = [find_uv(), "pip", "compile", "--quiet", "--python-version", python, "--python-platform", platform]
    if job.hashes:
        command.append("--generate-hashes")
    if job.plain:
        command += ["--no-header", "--no-annotate"]
    command.append("--no-emit-index-url")
    index = job.index_url or (None if job.only_index else os.environ.get("PIP_INDEX_URL"))
    if index:
        command += ["--default-index", index]
    if job.lock_name:
        shown = f"uv pip compile --python-version {python} --python-platform {platform} --generate-hashes"
        command += ["--custom-compile-command", f"{shown} -o {job.lock_name} {job.source}"]
    return [*command, "--output-file", str(job.output), job.source]


def compile_requirements(
    job: Compile, cwd: Path, python: str | None = None, platform: str | None = None, libc: str = "glibc"
) -> str:
    """Run the compile for the image's ``python`` (``3.9.18``; None: reprocheck's own) and ``platform``
    (``linux/arm64``; None: this machine's architecture). Returns which resolver ran. Raises LookupFailed with
    the resolver's last words, or what to install or pass (``--from-image``) when no resolver can serve."""
    target = minor(python)
    same_python = target is None or target == host_python()
    same_platform = sys.platform == "linux" and uv_platform(platform, libc) == uv_platform(None)
    if same_python and same_platform and importlib.util.find_spec("piptools") is not None:
        command, what = _piptools(job), "pip-compile"
    else:
        uv_target = uv_platform(platform, libc)
        if uv_target is None:
            raise LookupFailed(f"no resolver targets {platform}; pin from the built image with --from-image")
        try:
            command = _uv(job, target or host_python(), uv_target)
        except LookupFailed as exc:
            raise LookupFailed(
                f"resolving for Python {target or host_python()} on {uv_target} needs uv: {exc}; "
                "or pin from the built image with --from-image"
            ) from None
        what = "uv pip compile"
    try:
        proc = subprocess.run(
            command, cwd=cwd, env=_env(job), capture_output=True, timeout=TIMEOUT, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise LookupFailed(f"{what} did not finish within {TIMEOUT} s") from None
    except OSError as exc:
        raise LookupFailed(f"cannot run {what}: {exc}") from None
    if proc.returncode != 0 or not job.output.is_file():
        raise LookupFailed(f"{what} failed: {tool_failure(proc.stderr.decode('utf-8', 'replace'))}")
    return what
