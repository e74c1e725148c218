"""uv.lock: packages with their sources, files and dependency edges; the project's recorded requirements."""

from __future__ import annotations

from typing import Any

from reprocheck.model.deps import Dependency, DependencyFile, DepKind, Edge, LockedFile, LockedPackage
from reprocheck.parsing._toml import LineFinder, loads
from reprocheck.parsing.pyproject import _pep508


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
    lines = finder.headers("package")
    packages: list[LockedPackage] = []
    manifest: list[Dependency] = []
    for k, pkg in enumerate(data.get("package") or ()):
        if not isinstance(pkg, dict):
            continue
        line = lines[k] if k < len(lines) else 1
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
    )
