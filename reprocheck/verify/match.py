"""Judge an image's inventory against the expectation: pure, plain data in, Findings out (RC810-RC815)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from reprocheck.model.finding import Finding
from reprocheck.model.location import Location
from reprocheck.model.names import canonical
from reprocheck.model.rule import RuleMeta
from reprocheck.model.users import is_root_spec
from reprocheck.rules.runtime import (
    BASE_DIGEST,
    OS_PACKAGE_VERSION,
    PACKAGE_MISSING,
    PACKAGE_UNEXPECTED,
    PACKAGE_VERSION,
    PYTHON_VERSION,
    RUNS_AS_ROOT,
)
from reprocheck.verify.expect import Expectation, LockEntry, PipInstall
from reprocheck.verify.probe import Dist, Inventory
from reprocheck.verify.spec import DEFAULT_IGNORE


@dataclass(frozen=True)
class Verdict:
    findings: tuple[Finding, ...]
    checked: int  # Python packages compared
    notes: tuple[str, ...]


def _finding(rule: RuleMeta, message: str, path: str, line: int, hint: str | None = None) -> Finding:
    return rule.finding(Location(path, max(line, 1)), message, hint)


def applies(marker: str | None, env: Mapping[str, str]) -> bool:
    """Whether a PEP 508 marker holds in the image's environment (unknown or broken markers: yes)."""
    if not marker or not env:
        return True
    try:
        return bool(Marker(marker).evaluate(dict(env)))
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
        return True


def same_version(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return False


def python_fits(expected: str, actual: str) -> bool:
    """``3.11`` fits 3.11.x; a specifier such as ``>=3.10,<3.13`` fits what it contains."""
    parts = expected.strip().split(".")
    if all(p.isdigit() for p in parts):
        return actual.split(".")[: len(parts)] == parts
    try:
        return SpecifierSet(expected).contains(actual, prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return True


def pulled_in_by(exp: Expectation, dists: Collection[Dist], key: str) -> tuple[PipInstall, list[str]] | None:
    """The Dockerfile install that brought ``key`` in as a dependency: the nearest package up the image's
    dependency graph (Requires-Dist) that an install line names, with the chain from it down to ``key``."""
    parents: dict[str, list[str]] = {}
    for d in dists:
        for req in d.requires:
            name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
            if name:
                parents.setdefault(canonical(name.group(1)), []).append(canonical(d.name))
    seen = {key}
    frontier: list[list[str]] = [[key]]
    while frontier:
        nxt: list[list[str]] = []
        for chain in frontier:
            for parent in sorted(parents.get(chain[0], ())):
                if parent in seen:
                    continue
                seen.add(parent)
                installs = exp.pip_installs.get(parent, ())
                if installs:
                    return installs[-1], [parent, *chain]
                nxt.append([parent, *chain])
        frontier = nxt
    return None


def _installed_by(exp: Expectation, key: str, dists: Collection[Dist] = ()) -> tuple[str, PipInstall | None]:
    installs = exp.pip_installs.get(key, ())
    if installs:
        first = installs[0]
        return f"installed by {first.path}:{first.line} `{first.text}`", first
    via = pulled_in_by(exp, dists, key)
    if via is not None:
        install, chain = via
        return (
            f"pulled in by {install.path}:{install.line} `{install.text}` as a dependency ({' -> '.join(chain)})",
            install,
        )
    return "no line of the Dockerfile names it: the base image or an unlocked install brings it", None


def match_python(
    exp: Expectation, inv: Inventory, ignore: Collection[str] = DEFAULT_IGNORE
) -> tuple[list[Finding], int]:
    """Python packages: RC810 missing, RC811 unexpected, RC812 other version, RC813 other Python."""
    out: list[Finding] = []
    if inv.python is None:
        return out, 0
    env = inv.markers
    ignored = {canonical(n) for n in ignore}
    installed: dict[str, Dist] = {canonical(d.name): d for d in inv.dists}
    locks = ", ".join(exp.locks) or "the lock"
    for key, entries in sorted(exp.entries.items()):
        here = [e for e in entries if applies(e.marker, env)]
        if not here:
            continue  # for another platform or Python
        dist = installed.get(key)
        first = here[0]
        if dist is None:
            if any(e.required for e in here) and key not in ignored:
                req = next(e for e in here if e.required)
                want = f" {req.versions[0]}" if req.versions else ""
                out.append(
                    _finding(
                        PACKAGE_MISSING,
                        f"`{req.name}`{want} is in {req.path} but not installed in the image",
                        req.path,
                        req.line,
                        hint="the install that should read the lock did not run, or a later step uninstalled it",
                    )
                )
            continue
        versions = sorted({v for e in here for v in e.versions})
        if versions and not any(same_version(dist.version, v) for v in versions):
            entry: LockEntry = next((e for e in here if e.versions), first)
            later = exp.pip_installs.get(key, ())
            via = pulled_in_by(exp, inv.dists, key) if not later else None
            if later:
                why = f"a later install changed it: {later[0].path}:{later[0].line} `{later[0].text}`"
            elif via is not None:
                why = f"{via[0].path}:{via[0].line} `{via[0].text}` replaced it: it requires it ({' -> '.join(via[1])})"
            else:
                why = "something installed after the lock replaced it (a dependency of an unlocked package?)"
            out.append(
                _finding(
                    PACKAGE_VERSION,
                    f"`{dist.name}` is {dist.version} in the image but {' or '.join(versions)} in {entry.path}",
                    entry.path,
                    entry.line,
                    hint=f"{why}; found at {dist.location or '?'}",
                )
            )
    for key, dist in sorted(installed.items()):
        if key in exp.entries or key in ignored:
            continue
        how, install = _installed_by(exp, key, inv.dists)
        where_path, where_line = (install.path, install.line) if install else (exp.dockerfile, exp.base_line)
        out.append(
            _finding(
                PACKAGE_UNEXPECTED,
                f"`{dist.name}` {dist.version} is in the image but not in {locks}",
                where_path,
                where_line,
                hint=f"{how}; found at {dist.location or '?'}. Add it to the lock's source "
                "and recompile, or remove the install",
            )
        )
    if exp.python and not python_fits(exp.python, inv.python):
        out.append(
            _finding(
                PYTHON_VERSION,
                f"the image runs Python {inv.python} but {exp.python_path} was made for Python {exp.python}",
                exp.python_path,
                exp.python_line,
                hint="markers and wheels chosen for one Python can differ in another: rebuild the lock with the "
                "image's Python, or change the base image",
            )
        )
    return out, len(installed)


def match_os(exp: Expectation, inv: Inventory) -> list[Finding]:
    """OS packages the Dockerfile pins (RC814) whose installed version differs."""
    out: list[Finding] = []
    if inv.os_manager is None:
        return out
    for pin in exp.os_pins:
        have = inv.os_packages.get(pin.name)
        if have == pin.version:
            continue
        state = f"{have} is installed" if have else "it is not installed"
        out.append(
            _finding(
                OS_PACKAGE_VERSION,
                f"{pin.path} pins `{pin.name}={pin.version}` but {state} in the image",
                pin.path,
                pin.line,
                hint="a later upgrade, or another package's dependency, changed it after the pinned install",
            )
        )
    return out


def match_user(exp: Expectation, inv: Inventory) -> list[Finding]:
    """The image's configured user is root (RC815)."""
    if not (inv.user_root if inv.user_root is not None else is_root_spec(inv.user.strip())):
        return []
    where = f"USER {exp.user}" if exp.user is not None else "no USER instruction"
    return [
        _finding(
            RUNS_AS_ROOT,
            f"the image runs as root ({where}; the image's user is `{inv.user or 'root'}`)",
            exp.dockerfile,
            exp.user_line,
            hint="add `RUN useradd --system --uid 10001 app` and `USER 10001` to the final stage",
        )
    ]


def judge_base_digest(
    name: str, pinned: str | None, remote: str, local: Collection[str], path: str, line: int
) -> Finding | None:
    """The registry's digest (RC816) of ``name`` against the Dockerfile's pin, or (no pin) against the digests
    of this engine's copy."""
    if pinned:
        if pinned == remote:
            return None
        return _finding(
            BASE_DIGEST,
            f"`{name}` now points to {remote[:19]}… on its registry; the Dockerfile pins {pinned[:19]}…",
            path,
            line,
            hint="the pin keeps builds reproducible; the tag moved (often a security update). Update the digest "
            "deliberately, and the tag if it no longer describes the pin",
        )
    if not local or remote in local:
        return None
    return _finding(
        BASE_DIGEST,
        f"this engine's `{name}` is {sorted(local)[0][:19]}… but the registry has {remote[:19]}…: a fresh machine "
        "builds on another base",
        path,
        line,
        hint=f"pin the base: FROM {name}@{remote}",
    )


def verify(exp: Expectation, inv: Inventory, ignore: Collection[str] = DEFAULT_IGNORE) -> Verdict:
    findings, checked = match_python(exp, inv, ignore)
    findings += match_os(exp, inv)
    findings += match_user(exp, inv)
    notes: list[str] = []
    if inv.python is None:
        notes.append(f"Python packages not checked: {inv.python_error or 'no Python interpreter in the image'}")
    elif not exp.locks:
        notes.append(
            "no lock to compare with: the Dockerfile installs from none (set `lock` in [tool.reprocheck.verify])"
        )
    else:
        notes.append(
            f"{checked} Python distributions under Python {inv.python} ({inv.python_command}) compared with "
            + ", ".join(exp.locks)
        )
    notes.extend(
        f"`{d.name}` {d.version} at {d.location} is shadowed by an earlier copy on sys.path" for d in inv.shadowed
    )
    if exp.os_pins:
        notes.append(f"{len(exp.os_pins)} pinned OS packages compared with the {inv.os_manager or 'missing'} database")
    return Verdict(tuple(findings), checked, tuple(notes))
