"""Pipfile (TOML) and Pipfile.lock (JSON)."""

from __future__ import annotations

import json
from typing import Any

from reprocheck.model.deps import Dependency, DependencyFile, DepKind, FileOption, LockedPackage
from reprocheck.model.dockerfile import ParseIssue
from reprocheck.model.install import PackageSpec, SpecKind
from reprocheck.parsing._shape import Map, OneOf, jsonable
from reprocheck.parsing._toml import LineFinder, loads
from reprocheck.parsing.requirement import classify_requirement

_SECTIONS = {"packages": "", "dev-packages": "dev"}
_NOT_PACKAGES = ("source", "requires", "pipenv", "scripts")
_DEP = OneOf(str, {"markers": str, "git": str, "ref": str, "path": str, "file": str, "editable": bool, "version": str})
_PIPFILE = {
    "packages": Map(_DEP),
    "dev-packages": Map(_DEP),
    "source": [{"url": str, "verify_ssl": bool, "name": str}],
    "requires": {"python_version": str, "python_full_version": str},
}
_LOCK_ENTRY = {"version": str, "hashes": [str], "markers": str, "git": str, "path": str, "file": str}
_LOCK_META = {
    "requires": {"python_version": str, "python_full_version": str},
    "hash": {"sha256": str},
    "sources": [dict],
}


def _pipfile_dep(name: str, value: Any, line: int, group: str) -> Dependency:
    marker = None
    if isinstance(value, dict):
        marker = value.get("markers")
        if "git" in value:
            ref = value.get("ref") or ""
            spec = classify_requirement(f"{name} @ git+{value['git']}" + (f"@{ref}" if ref else ""))
            return Dependency(spec=spec, line=line, group=group, marker=marker)
        if "path" in value or "file" in value:
            where = str(value.get("path") or value.get("file"))
            kind = SpecKind.URL if "://" in where else SpecKind.PATH
            return Dependency(
                spec=PackageSpec(f"{name} @ {where}", name, kind, pinned=kind is SpecKind.URL),
                line=line,
                group=group,
                marker=marker,
                editable=bool(value.get("editable")),
            )
        version = str(value.get("version", "*"))
    else:
        version = str(value)
    text = name if version in ("*", "") else f"{name}{version}"
    spec = classify_requirement(text)
    return Dependency(spec=spec, line=line, group=group, marker=marker, specifier="" if version == "*" else version)


def parse_pipfile(text: str, path: str) -> DependencyFile:
    data, issue = loads(text)
    if data is None:
        return DependencyFile(path, DepKind.PIPFILE, issues=(issue,) if issue else ())
    finder = LineFinder(text)
    shape = finder.checker()
    _, data = shape.check(jsonable(data), _PIPFILE)
    deps: list[Dependency] = []
    sections = dict(_SECTIONS)
    sections.update({k: k for k, v in data.items() if isinstance(v, dict) and k not in (*_NOT_PACKAGES, *_SECTIONS)})
    for section, group in sections.items():
        ok, table = shape.check(data.get(section) or {}, Map(_DEP), section, finder.table(section))
        if not ok:
            continue
        start = finder.table(section)
        for name, value in table.items():
            deps.append(_pipfile_dep(name, value, finder.line_of(finder.key(name, start)), group))
    options: list[FileOption] = []
    sources = data.get("source") or []
    src_start = 0
    for src in sources if isinstance(sources, list) else []:
        if isinstance(src, dict) and src.get("url"):
            pos = finder.string(str(src["url"]), src_start)
            src_start = max(pos, src_start) + 1
            flag = "--index-url" if not options else "--extra-index-url"
            options.append(FileOption(finder.line_of(pos), flag, str(src["url"])))
            if src.get("verify_ssl") is False:
                options.append(FileOption(finder.line_of(pos), "--trusted-host", str(src["url"])))
    requires = data.get("requires") or {}
    python = requires.get("python_full_version") or requires.get("python_version")
    key = "python_full_version" if "python_full_version" in requires else "python_version"
    return DependencyFile(
        path=path,
        kind=DepKind.PIPFILE,
        dependencies=tuple(deps),
        options=tuple(options),
        python=str(python) if python else None,
        python_line=finder.line_of(finder.key(key)) if python else 1,
        raw=data,
        issues=tuple(shape.issues),
    )


def parse_pipfile_lock(text: str, path: str) -> DependencyFile:
    try:
        data = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", 1)
        return DependencyFile(path, DepKind.PIPFILE_LOCK, issues=(ParseIssue(line, f"invalid JSON: {exc}"),))
    except RecursionError:
        issue = ParseIssue(1, "invalid JSON: arrays or objects nested too deeply to read")
        return DependencyFile(path, DepKind.PIPFILE_LOCK, issues=(issue,))
    if not isinstance(data, dict):
        return DependencyFile(path, DepKind.PIPFILE_LOCK, issues=(ParseIssue(1, "not a Pipfile.lock object"),))
    finder = LineFinder(text)
    shape = finder.checker()
    shape.locate = finder.json_key
    _, data = shape.check(data, {"_meta": _LOCK_META})
    locked: list[LockedPackage] = []
    for section, raw_body in data.items():
        if section == "_meta":
            continue
        cursor = finder.json_key(section)
        ok, body = shape.check(raw_body, Map(_LOCK_ENTRY), section, max(cursor, 0))
        if not ok:
            continue
        for name, entry in body.items():
            pos = finder.json_key(name, max(cursor, 0))
            if pos >= 0:
                cursor = pos + 1
            version = str(entry.get("version", "")).lstrip("=")
            source = "git" if "git" in entry else ("path" if "path" in entry or "file" in entry else "registry")
            locked.append(
                LockedPackage(
                    name=name,
                    version=version,
                    line=finder.line_of(pos),
                    source=source,
                    hashes=tuple(entry.get("hashes") or ()),
                    marker=entry.get("markers"),
                    groups=(section,),
                )
            )
    meta = data.get("_meta") or {}
    requires = meta.get("requires") or {}
    python = requires.get("python_full_version") or requires.get("python_version")
    digest = (meta.get("hash") or {}).get("sha256")
    return DependencyFile(
        path=path,
        kind=DepKind.PIPFILE_LOCK,
        locked=tuple(locked),
        python=str(python) if python else None,
        python_line=finder.line_of(finder.string("python_version")) if python else 1,
        content_hash=digest,
        content_hash_line=finder.line_of(finder.string(digest)) if digest else 1,
        generator="pipenv",
        raw=data,
        issues=tuple(shape.issues),
    )
