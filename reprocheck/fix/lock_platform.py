"""RC704: a uv.lock whose packages have no file for the image's platform. uv already locks every platform,
so locking again changes nothing; what makes uv choose versions that ship a file for linux is the project
declaring the platform it must install on: fix adds the image's environment to ``[tool.uv]
required-environments`` in pyproject.toml (one line inserted, the rest of the file as it was) and runs
``uv lock`` with it. Unsafe: other versions are picked. When the index has no such version, uv says so and
both files stay as they were; poetry and Pipfile locks are left to be locked on linux by hand."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path

from reprocheck.model.deps import DepKind
from reprocheck.model.finding import Finding, Severity
from reprocheck.model.location import Location
from reprocheck.model.project import InstalledFile
from reprocheck.rules._platform import unfit_packages

from ._api import FixContext, Fixer, FixKind, NewFile, Outcome, Target
from .lock_tools import TOOLS, relock
from .oci import LookupFailed

RULE = "RC704"
_MACHINE = {"linux/amd64": "x86_64", "linux/arm64": "aarch64", "linux/arm64/v8": "aarch64"}


def environment_marker(platform: str) -> str | None:
    """The PEP 508 marker of a Docker platform (``linux/amd64``), or None for one uv cannot name."""
    machine = _MACHINE.get(platform)
    return f"sys_platform == 'linux' and platform_machine == '{machine}'" if machine else None


def with_required_environment(text: str, marker: str) -> str:
    """``text`` (a pyproject.toml) with ``marker`` in ``[tool.uv] required-environments``: one line after an
    existing ``[tool.uv]`` header, or a new table at the end. Raises LookupFailed when the key is already
    there (a list to extend by hand) or the result would not parse."""
    try:
        uv = tomllib.loads(text).get("tool", {}).get("uv", {})
    except tomllib.TOMLDecodeError as exc:
        raise LookupFailed(f"pyproject.toml does not parse: {exc}") from None
    if "required-environments" in uv:
        raise LookupFailed(f'add "{marker}" to [tool.uv] required-environments in pyproject.toml')
    newline = "\r\n" if "\r\n" in text else "\n"
    line = f"required-environments = [{_quoted(marker)}]{newline}"
    lines = text.splitlines(keepends=True)
    header = next((k for k, ln in enumerate(lines) if ln.split("#", 1)[0].strip() == "[tool.uv]"), None)
    if header is not None:
        new = "".join(lines[: header + 1]) + line + "".join(lines[header + 1 :])
    else:
        body = text if not text or text.endswith(("\n", "\r")) else text + newline
        new = f"{body}{newline}[tool.uv]{newline}{line}"
    try:
        parsed = tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise LookupFailed(f"cannot add required-environments to pyproject.toml: {exc}") from None
    if parsed.get("tool", {}).get("uv", {}).get("required-environments") != [marker]:
        raise LookupFailed("cannot add required-environments to pyproject.toml")
    return new


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fix_item(ctx: FixContext, item: InstalledFile, out: Outcome) -> None:
    lock = item.lock or (item.file if item.file is not None and item.file.kind.is_lock else None)
    if lock is None or lock.kind is not DepKind.UV_LOCK:
        return
    source = item.file if item.lock is not None else None
    python = item.python.version if item.python else None
    unfit = unfit_packages(lock, source, python, item.platform, item.libc)
    if not unfit:
        return
    failures = [
        Finding(RULE, Severity.ERROR, "", Location(lock.path, p.line)) for p in unfit
    ]  # matched to lint's findings by rule, file and line
    directory = Path(lock.path).parent
    pyproject = directory / "pyproject.toml"
    try:
        marker = environment_marker(item.platform)
        if marker is None:
            raise LookupFailed(f"uv has no environment marker for {item.platform}")
        if not ctx.inside(pyproject) or pyproject.is_symlink() or not pyproject.is_file():
            raise LookupFailed("no pyproject.toml (a regular file in the project) next to uv.lock")
        text = pyproject.read_bytes().decode("utf-8")
        new = with_required_environment(text, marker)
        locked = relock(ctx, directory, TOOLS[0], {"pyproject.toml": new})
    except (LookupFailed, UnicodeDecodeError) as exc:
        for f in failures:
            out.fail(f, f"{exc}; declare the image's platform in [tool.uv] required-environments and run `uv lock`")
        return
    out.new_files.append(NewFile(pyproject, new, RULE, f"[tool.uv] required-environments: {marker}"))
    out.new_files.append(NewFile(locked.path, locked.content, RULE, f"`uv lock` for {item.platform}"))


def fix_lock_platform(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    if target.project is None or not ctx.allows(RULE):
        return out
    done: set[str] = set()
    for item in target.project.installed:
        key = item.lock.path if item.lock else item.path or ""
        if key not in done:
            done.add(key)
            _fix_item(ctx, item, out)
    return out


FIXER = Fixer({RULE: FixKind.UNSAFE}, fix_lock_platform, every_dockerfile=True)
