"""RC703: a requirements lock compiled for another Python than the image's is compiled again, from its
``.in`` source, for the image's interpreter and platform: ``uv pip compile --python-version X.Y
--python-platform <the image's>`` (pip-compile can only compile for the Python it runs on). The existing lock
gives its pins as preferences, as it does to pip-compile. Unsafe: markers evaluated for the image's Python can
pick other versions or other packages. Without uv on PATH the lock is left as it is and the finding says so."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from reprocheck.model.deps import DepKind
from reprocheck.model.finding import Finding
from reprocheck.model.project import InstalledFile

from ._api import FixContext, Fixer, FixKind, NewFile, Outcome, Target
from .oci import LookupFailed
from .tools import copy_inputs, find_tool, run_tool, tool_env

RULE = "RC703"
_ARCH = {"amd64": "x86_64", "arm64": "aarch64", "arm64/v8": "aarch64"}


def uv_platform(platform: str, libc: str) -> str | None:
    """uv's ``--python-platform`` for a Docker platform (``linux/amd64``) and C library, or None."""
    system, _, arch = platform.partition("/")
    machine = _ARCH.get(arch)
    if system != "linux" or machine is None:
        return None
    return f"{machine}-unknown-linux-{'musl' if libc == 'musl' else 'gnu'}"


def _lock_of(item: InstalledFile) -> Path:
    for f in (item.lock, item.file):
        if f is not None and f.python and f.kind is DepKind.REQUIREMENTS:
            return Path(f.path)
    raise LookupFailed("only requirements locks are compiled again here; lock the project with its own tool")


def recompile(ctx: FixContext, item: InstalledFile) -> NewFile:
    """The lock ``item`` installs, compiled for the image's Python and platform. Raises LookupFailed."""
    lock = _lock_of(item)
    source = lock.with_suffix(".in")
    if not source.is_file() or not ctx.inside(source) or not ctx.inside(lock):
        raise LookupFailed(f"{lock.name} has no {source.name} next to it to compile from")
    if item.python is None:
        raise LookupFailed("the image's Python is not known")
    python = ".".join(item.python.version.split(".")[:2])
    platform = uv_platform(item.platform, item.libc)
    if platform is None:
        raise LookupFailed(f"uv has no platform for {item.platform}")
    if ctx.options.offline:
        raise LookupFailed("compiling a lock needs the package index, and --offline forbids it")
    exe = find_tool("uv")
    shown = f"uv pip compile --python-version {python} --python-platform {platform} --generate-hashes"
    shown += f" -o {lock.name} {source.name}"
    command = [exe, "pip", "compile", "--quiet", "--python-version", python, "--python-platform", platform]
    command += ["--generate-hashes", "--no-emit-index-url", "--custom-compile-command", shown]
    if ctx.options.index_url:
        command += ["--default-index", ctx.options.index_url]
    command += ["-o", lock.name, source.name]
    with tempfile.TemporaryDirectory(prefix="reprocheck-lock-", ignore_cleanup_errors=True) as name:
        work = Path(name) / "project"
        copy_inputs(source.parent, (source.name, lock.name), work)
        run_tool(command, work, tool_env(Path(name)), "uv pip compile")
        content = (work / lock.name).read_text(encoding="utf-8")
    return NewFile(lock, content, RULE, f"{lock.name} compiled for Python {python} on {platform}")


def fix_lock_python(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    if target.project is None:
        return out
    for f in findings:
        if f.rule != RULE or not ctx.allows(RULE):
            continue
        item = next((i for i in target.project.installed if i.line == f.location.line), None)
        if item is None:
            continue
        try:
            out.new_files.append(recompile(ctx, item))
        except LookupFailed as exc:
            out.fail(f, f"{exc}; compile the lock with the image's Python (`uv pip compile --python-version`)")
    return out


FIXER = Fixer({RULE: FixKind.UNSAFE}, fix_lock_python)
