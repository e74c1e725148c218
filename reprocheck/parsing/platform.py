"""Which locked files fit the image: wheel tags against linux/arch and the image's Python, and the packages
a lock installs on that platform (dependency edges whose markers hold there)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from reprocheck.model.deps import DependencyFile, DepKind, Edge, LockedPackage
from reprocheck.model.names import canonical

_ARCH = {"linux/amd64": "x86_64", "linux/arm64": "aarch64", "linux/arm64/v8": "aarch64"}
_SDIST = (".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar", ".tar.xz")


def arch_of(platform: str) -> str:
    return _ARCH.get(platform, platform.rsplit("/", 1)[-1])


def file_fits(filename: str, python: str | None, arch: str, libc: str = "glibc") -> bool:
    """Can pip install this file on linux/``arch`` with CPython ``python`` ("3.11")? sdists always can."""
    if not filename.endswith(".whl"):
        return filename.endswith(_SDIST) or "." not in filename
    parts = filename[:-4].split("-")
    if len(parts) < 5:
        return True
    pys, abis, plats = parts[-3].split("."), parts[-2].split("."), parts[-1].split(".")
    plat_ok = any(
        p == "any"
        or p == f"linux_{arch}"
        or (p.startswith("manylinux") and p.endswith(f"_{arch}") and libc == "glibc")
        or (p.startswith("musllinux") and p.endswith(f"_{arch}") and libc == "musl")
        for p in plats
    )
    if not plat_ok:
        return False
    if python is None:
        return True
    major, minor = (int(x) for x in python.split(".")[:2])
    for tag in pys:
        if tag in (f"py{major}", f"py{major}{minor}", f"cp{major}{minor}"):
            return True
        m = re.fullmatch(r"cp(\d)(\d+)", tag)
        if m and "abi3" in abis and int(m.group(1)) == major and int(m.group(2)) <= minor:
            return True
    return False


def marker_env(python: str | None, arch: str) -> dict[str, str]:
    version = python or "3.11"
    full = version if version.count(".") >= 2 else f"{version}.0"
    return {
        "implementation_name": "cpython",
        "implementation_version": full,
        "os_name": "posix",
        "platform_machine": arch,
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": full,
        "python_version": ".".join(version.split(".")[:2]),
        "sys_platform": "linux",
        "extra": "",
    }


@lru_cache(maxsize=4096)
def _marker(text: str):  # type: ignore[no-untyped-def]
    from packaging.markers import InvalidMarker, Marker

    try:
        return Marker(text)
    except InvalidMarker:
        return None


def holds(marker: str | None, env: dict[str, str]) -> bool:
    if not marker:
        return True
    m = _marker(marker)
    if m is None:
        return True
    try:
        return bool(m.evaluate(env))
    except Exception:
        return True


def installed_packages(lock: DependencyFile, roots: Iterable[Edge], env: dict[str, str]) -> set[int]:
    """Indexes (into ``lock.locked``) of the packages reached from ``roots`` along edges whose markers hold.
    An edge that names a version picks that entry; otherwise the entries whose own marker holds."""
    by_name = lock.locked_by_name()
    index = {id(p): k for k, p in enumerate(lock.locked)}
    seen: set[int] = set()
    queue: list[tuple[Edge, tuple[str, ...]]] = [(e, e.extras) for e in roots if holds(e.marker, env)]
    while queue:
        edge, extras = queue.pop()
        for pkg in by_name.get(canonical(edge.name), ()):
            if edge.version is not None and pkg.version != edge.version:
                continue
            if edge.version is None and pkg.marker and not holds(pkg.marker, env):
                continue
            k = index[id(pkg)]
            first = k not in seen
            seen.add(k)
            edges = list(pkg.dependencies) if first else []
            for extra in extras:
                edges += list(pkg.optional.get(extra, ()))
            queue.extend((e, e.extras) for e in edges if holds(e.marker, env))
    return seen


def lock_roots(lock: DependencyFile, source: DependencyFile | None) -> list[Edge]:
    """Where installing the lock starts: the project's own entries (uv), the source's dependencies
    (poetry, Pipfile), or, without either, every package nothing else depends on."""
    if lock.kind is DepKind.UV_LOCK:
        roots = [Edge(p.name, version=p.version) for p in lock.locked if p.source in ("editable", "virtual")]
        for p in lock.locked:
            if p.source in ("editable", "virtual"):
                for edges in p.optional.values():  # extras and dependency groups: installed by default
                    roots += list(edges)
        if roots:
            return roots
    if source is not None and source.dependencies:
        return [Edge(d.name, d.marker) for d in source.dependencies if d.name]
    depended = {canonical(e.name) for p in lock.locked for e in p.dependencies}
    return [Edge(p.name, version=p.version) for p in lock.locked if canonical(p.name) not in depended]


def unfit_packages(
    lock: DependencyFile, source: DependencyFile | None, python: str | None, platform: str, libc: str
) -> list[LockedPackage]:
    """Locked registry packages the image installs but for which the lock lists no file that fits it."""
    arch = arch_of(platform)
    env = marker_env(python, arch)
    needed = installed_packages(lock, lock_roots(lock, source), env)
    return [
        p
        for k, p in enumerate(lock.locked)
        if k in needed
        and p.source == "registry"
        and p.files
        and not any(file_fits(f.filename, python, arch, libc) for f in p.files)
    ]
