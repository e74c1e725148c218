"""uv.lock: packages with their sources, files and dependency edges; the project's recorded requirements."""

from __future__ import annotations

from typing import Any

from reprocheck.model.deps import Dependency, DependencyFile, DepKind, Edge, LockedFile, LockedPackage
from reprocheck.parsing._shape import Map, OneOf
from reprocheck.parsing._toml import LineFinder, loads
from reprocheck.parsing.pyproject import _pep508

_EDGE = {"name": str, "extra": OneOf([str], str), "version": str, "marker": str}
_FILE = {"url": str, "filename": str, "path": str, "hash": str}
_REQUIREMENT = {"name": str, "extras": [str], "url": str, "git": str, "specifier": str, "marker": str}
_PACKAGE = {
    "name": str,
    "version": str,
    "source": dict,
    "sdist": _FILE,
    "wheels": [_FILE],
    "dependencies": [_EDGE],
    "optional-dependencies": Map([_EDGE]),
    "dev-dependencies": Map([_EDGE]),
    "resolution-markers": [str],
    "metadata": {"requires-dist": [_REQUIREMENT], "requires-dev": Map([_REQUIREMENT])},
}
_DOCUMENT = {"requires-python": str, "package": list}


def _edges(items: Any) -> tuple[Edge, ...]:
    out: list[Edge] = []
    for d in items or ():
        if isinstance(d, dict) and "name" in d:
            extra = d.get("extra") or ()
            extras = tuple(extra) if isinstance(extra, list) else (str(extra),)
            version = str(d["version"]) if "version" in d else None
            out.append(Edge(str(d["name"]), d.get("marker"), extras, version))
    return tuple(out)


def _filename(entry: dict[str, Any]) -> str:
    for key in ("filename", "url", "path"):
        if key in entry:
            return str(entry[key]).split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return ""


def _source_kind(source: Any) -> str:
    if isinstance(source, dict):
        for key in ("registry", "git", "url", "path", "editable", "virtual", "directory"):
            if key in source:
                return key
    return "registry"


def _requirement_text(req: dict[str, Any]) -> str:
    name = str(req.get("name", ""))
    extras = req.get("extras") or []
    text = name + (f"[{','.join(extras)}]" if extras else "")
    if "url" in req or "git" in req:
        text += f" @ {'git+' + req['git'] if 'git' in req else req['url']}"
    else:
        text += str(req.get("specifier", ""))
    if req.get("marker"):
        text += f" ; {req['marker']}"
    return text


def parse_uv_lock(text: str, path: str) -> DependencyFile:
    data, issue = loads(text)
    if data is None:
        return DependencyFile(path, DepKind.UV_LOCK, issues=(issue,) if issue else ())
    finder = LineFinder(text)
    shape = finder.checker()
    _, data = shape.check(data, _DOCUMENT)
    starts = finder.header_offsets("package")
    packages: list[LockedPackage] = []
    manifest: list[Dependency] = []
    for k, raw_pkg in enumerate(data.get("package") or ()):
        start = starts[k] if k < len(starts) else 0
        ok, pkg = shape.check(raw_pkg, _PACKAGE, "package", start)
        if not ok:
            continue
        line = finder.line_of(start)
        files: list[LockedFile] = []
        sdist = pkg.get("sdist")
        if isinstance(sdist, dict):
            files.append(LockedFile(_filename(sdist), sdist.get("hash")))
        files.extend(LockedFile(_filename(w), w.get("hash")) for w in pkg.get("wheels") or () if isinstance(w, dict))
        optional = {str(e): _edges(v) for e, v in (pkg.get("optional-dependencies") or {}).items()}
        groups = {str(g): _edges(v) for g, v in (pkg.get("dev-dependencies") or {}).items()}
        source = _source_kind(pkg.get("source"))
        markers = pkg.get("resolution-markers") or ()
        packages.append(
            LockedPackage(
                name=str(pkg.get("name", "")),
                version=str(pkg.get("version", "")),
                line=line,
                source=source,
                files=tuple(files),
                dependencies=_edges(pkg.get("dependencies")),
                optional={**optional, **{f"group:{g}": e for g, e in groups.items()}},
                marker=" or ".join(f"({m})" for m in markers) if markers else None,
            )
        )
        if source in ("editable", "virtual") and isinstance(pkg.get("metadata"), dict):
            meta = pkg["metadata"]
            groups_of = [("", meta.get("requires-dist") or ())]
            groups_of += [(str(g), reqs or ()) for g, reqs in (meta.get("requires-dev") or {}).items()]
            manifest.extend(
                _pep508(_requirement_text(req), line, group)
                for group, reqs in groups_of
                for req in reqs
                if isinstance(req, dict)
            )
    python = data.get("requires-python")
    return DependencyFile(
        path=path,
        kind=DepKind.UV_LOCK,
        dependencies=tuple(manifest),
        locked=tuple(packages),
        python=str(python) if python else None,
        python_line=finder.line_of(finder.key("requires-python")) if python else 1,
        generator="uv",
        issues=tuple(shape.issues),
    )
