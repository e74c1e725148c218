"""RC61x: a lock that no longer matches the source it was made from."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from reprocheck.model.deps import Dependency, DependencyFile, DepKind, LockPair
from reprocheck.model.finding import Finding, Severity
from reprocheck.model.install import SpecKind
from reprocheck.model.names import canonical
from reprocheck.model.rule import FixKind
from reprocheck.parsing.versions import release_satisfies, simple_clauses
from reprocheck.rules._api import RuleContext, rule


def locked_versions(lock: DependencyFile) -> dict[str, set[str]]:
    """Canonical name -> locked versions (a compiled requirements file counts as a lock; uv may lock one
    name at several versions, one per platform or index)."""
    out: dict[str, set[str]] = {}
    if lock.kind is DepKind.REQUIREMENTS:
        for d in lock.dependencies:
            if d.spec.pinned:
                out.setdefault(canonical(d.name), set()).add(d.spec.version or "")
        return out
    for p in lock.locked:
        out.setdefault(canonical(p.name), set()).add(p.version)
    return out


def _judged(pair: LockPair, d: Dependency) -> bool:
    if d.spec.kind in (SpecKind.VARIABLE, SpecKind.PATH) or d.editable or not d.name:
        return False
    # pip-compile evaluates markers for the machine it ran on: a marked entry may rightly be absent
    return not (pair.lock.kind is DepKind.REQUIREMENTS and d.marker)


@rule(
    "RC611",
    "lock-missing-dependency",
    Severity.ERROR,
    "A dependency of the source file is missing from its lock",
    on=LockPair,
    fix=FixKind.UNSAFE,
)
def lock_missing_dependency(pair: LockPair, ctx: RuleContext) -> Iterator[Finding]:
    locked = locked_versions(pair.lock)
    if not locked:
        return
    for d in pair.source.dependencies:
        if _judged(pair, d) and canonical(d.name) not in locked:
            yield ctx.finding(
                d.line,
                f"`{d.spec.raw}` is in {pair.source.path} but not in {pair.lock.path}: the lock predates it",
                hint=_relock_hint(pair),
                path=pair.source.path,
            )


def _contains(specifier: str, version: str) -> bool | None:
    """Whether ``version`` satisfies ``specifier`` (``||``-separated alternatives); None when undecidable."""
    fast: list[bool | None] = []
    for alt in specifier.split("||"):
        clauses = simple_clauses(alt)
        fast.append(release_satisfies(version, clauses) if clauses is not None else None)
    if all(r is not None for r in fast):
        return any(fast)
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        v = Version(version)
    except InvalidVersion:
        return None
    results = []
    for alt in specifier.split("||"):
        try:
            results.append(SpecifierSet(alt, prereleases=True).contains(v))
        except InvalidSpecifier:
            return None
    return any(results)


@rule(
    "RC612",
    "lock-violates-source",
    Severity.ERROR,
    "A locked version that the source file's specifier no longer admits",
    on=LockPair,
    fix=FixKind.UNSAFE,
)
def lock_violates_source(pair: LockPair, ctx: RuleContext) -> Iterator[Finding]:
    locked = locked_versions(pair.lock)
    for d in pair.source.dependencies:
        if not _judged(pair, d) or not d.specifier or d.spec.kind is not SpecKind.NAME:
            continue
        versions = locked.get(canonical(d.name))
        if not versions:
            continue
        verdicts = [_contains(d.specifier, v) for v in sorted(versions)]
        if verdicts and all(v is False for v in verdicts):
            version = ", ".join(sorted(versions))
            yield ctx.finding(
                d.line,
                f"{pair.lock.path} locks {d.name} {version}, which `{d.specifier.replace('||', ' || ')}` "
                f"in {pair.source.path} does not admit",
                hint=_relock_hint(pair),
                path=pair.source.path,
            )


def _relock_hint(pair: LockPair) -> str:
    return {
        DepKind.REQUIREMENTS: f"recompile: `pip-compile --generate-hashes {pair.source.path.rsplit('/', 1)[-1]}`",
        DepKind.UV_LOCK: "run `uv lock` and commit uv.lock",
        DepKind.POETRY_LOCK: "run `poetry lock` and commit poetry.lock",
        DepKind.PIPFILE_LOCK: "run `pipenv lock` and commit Pipfile.lock",
    }.get(pair.lock.kind, "regenerate the lock")


# ---- content hashes, as the tools compute them


def poetry_content_hashes(pyproject: Mapping[str, Any]) -> set[str]:
    """poetry's content-hash of a pyproject, for Poetry >= 2.3 and for the versions before dependency
    groups counted (either matches a fresh lock)."""
    import hashlib
    import json

    legacy = ("dependencies", "source", "extras", "dev-dependencies")
    relevant_keys = (*legacy, "group")
    project = pyproject.get("project") or {}
    poetry = (pyproject.get("tool") or {}).get("poetry") or {}
    out: set[str] = set()
    for with_groups in (True, False):
        groups = (pyproject.get("dependency-groups") or {}) if with_groups else {}
        rel_project = {
            k: project[k]
            for k in ("requires-python", "dependencies", "optional-dependencies")
            if project.get(k) is not None
        }
        rel_poetry = {}
        for key in relevant_keys:
            data = poetry.get(key)
            if data is None and (key not in legacy or rel_project or groups):
                continue
            rel_poetry[key] = data
        content: dict[str, Any] = {}
        if rel_project:
            content["project"] = rel_project
        if groups:
            content["dependency-groups"] = groups
        if content:
            content["tool"] = {"poetry": rel_poetry}
        else:
            content = rel_poetry
        out.add(hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest())
    return out


_PIPFILE_SECTIONS = ("source", "packages", "dev-packages", "requires", "scripts", "pipfile", "pipenv")


def pipfile_hashes(pipfile: Mapping[str, Any], lock_sources: Any = None) -> set[str]:
    """Pipfile.lock's ``_meta.hash.sha256`` of a Pipfile: plette's algorithm, and pipenv's newer one that
    canonicalises package names first. A Pipfile without ``[[source]]`` is hashed with the default source
    pipenv used, which the lock records in ``_meta.sources``."""
    import hashlib
    import json

    out: set[str] = set()
    for canon in (False, True):

        def section(values: Any, canon: bool = canon) -> Any:
            if not canon or not isinstance(values, dict):
                return values or {}
            return {canonical(k): v for k, v in values.items()}

        data: dict[str, Any] = {
            "_meta": {"sources": pipfile.get("source") or lock_sources or [], "requires": pipfile.get("requires", {})},
            "default": section(pipfile.get("packages", {})),
            "develop": section(pipfile.get("dev-packages", {})),
        }
        for category, values in pipfile.items():
            if category in _PIPFILE_SECTIONS or category in ("default", "develop"):
                continue
            data[category] = section(values)
        content = json.dumps(data, sort_keys=True, separators=(",", ":"))
        out.add(hashlib.sha256(content.encode("utf-8")).hexdigest())
    return out


def _uv_manifest_changes(pair: LockPair) -> list[str]:
    """Requirements in pyproject.toml that uv.lock did not record, and the reverse, compared by name and
    specifier set (uv writes one entry per marker of a ``[tool.uv.sources]`` mapping; markers are not compared)."""

    def table(deps: tuple[Dependency, ...]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for d in deps:
            if d.name:
                spec = "@" if d.spec.kind is not SpecKind.NAME else _normal_specifier(d.specifier)
                # uv records extras with the main requirements (requires-dist) and groups apart (requires-dev)
                group = "" if d.group.startswith("extra:") else d.group
                key = canonical(d.name) if not group else f"{canonical(d.name)} (group {group})"
                out.setdefault(key, set()).add(spec)
        return out

    source, locked = table(pair.source.dependencies), table(pair.lock.dependencies)
    changes: list[str] = []
    for name in sorted(source.keys() | locked.keys()):
        want, have = source.get(name), locked.get(name)
        if have is None:
            changes.append(f"{name} (added)")
        elif want is None:
            changes.append(f"{name} (removed)")
        elif want != have and "@" not in want | have:
            changes.append(f"{name} {_shown(want)} (locked for {_shown(have)})")
    return changes


def _shown(specs: set[str]) -> str:
    return " or ".join(f"`{s or 'any'}`" for s in sorted(specs))


def _normal_specifier(spec: str) -> str:
    if not spec:
        return ""
    try:
        from packaging.specifiers import SpecifierSet

        return ",".join(sorted(str(s) for s in SpecifierSet(spec)))
    except Exception:
        return spec.replace(" ", "")


@rule(
    "RC613",
    "lock-out-of-date",
    Severity.ERROR,
    "The lock's recorded hash or manifest no longer matches its source file",
    on=LockPair,
    fix=FixKind.UNSAFE,
)
def lock_out_of_date(pair: LockPair, ctx: RuleContext) -> Iterator[Finding]:
    lock, source = pair.lock, pair.source
    if lock.kind is DepKind.POETRY_LOCK and lock.content_hash:
        if lock.content_hash not in poetry_content_hashes(source.raw):
            yield ctx.finding(
                lock.content_hash_line,
                f"{lock.path} content-hash does not match {source.path}: the dependencies changed since `poetry lock`",
                hint=_relock_hint(pair),
                path=lock.path,
            )
    elif lock.kind is DepKind.PIPFILE_LOCK and lock.content_hash:
        meta = lock.raw.get("_meta")
        sources = meta.get("sources") if isinstance(meta, dict) else None
        if lock.content_hash not in pipfile_hashes(source.raw, sources):
            yield ctx.finding(
                lock.content_hash_line,
                f"{lock.path} _meta hash does not match {source.path}: the Pipfile changed since `pipenv lock`",
                hint=_relock_hint(pair),
                path=lock.path,
            )
    elif lock.kind is DepKind.UV_LOCK and lock.dependencies:
        changes = _uv_manifest_changes(pair)
        if changes:
            more = f" and {len(changes) - 3} more" if len(changes) > 3 else ""
            yield ctx.finding(
                lock.dependencies[0].line,
                f"{lock.path} was made for other requirements than {source.path} has now: "
                f"{', '.join(changes[:3])}{more}",
                hint=_relock_hint(pair),
                path=lock.path,
            )
