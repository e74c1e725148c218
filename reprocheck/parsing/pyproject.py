"""pyproject.toml: PEP 621 ``[project]`` dependencies and extras, PEP 735 ``[dependency-groups]``, and
``[tool.poetry]`` dependencies and groups (poetry's ``^``/``~`` constraints translated to PEP 440)."""

from __future__ import annotations

import re
from typing import Any

from reprocheck.model.deps import Dependency, DependencyFile, DepKind
from reprocheck.model.install import PackageSpec, SpecKind
from reprocheck.parsing._shape import ANY, Map, OneOf, jsonable
from reprocheck.parsing._toml import LineFinder, loads
from reprocheck.parsing.requirement import classify_requirement, pep508_specifier

_POETRY_TABLE = {
    "markers": str,
    "git": str,
    "rev": str,
    "tag": str,
    "branch": str,
    "path": str,
    "url": str,
    "version": str,
}
_POETRY_DEP = OneOf(str, _POETRY_TABLE, [OneOf(str, _POETRY_TABLE)])
_POETRY_DEPS = Map(_POETRY_DEP)
_DOCUMENT = {
    "project": {
        "dependencies": [str],
        "optional-dependencies": Map([str]),
        "requires-python": str,
    },
    "dependency-groups": Map([OneOf(str, dict)]),
    "tool": {
        "uv": {"dev-dependencies": [str]},
        "poetry": {
            "dependencies": _POETRY_DEPS,
            "dev-dependencies": _POETRY_DEPS,
            "group": Map({"dependencies": _POETRY_DEPS}),
            "source": ANY,
        },
    },
}


def _pep508(text: str, line: int, group: str) -> Dependency:
    spec = classify_requirement(text)
    marker = text.split(";", 1)[1].strip() if ";" in text else None
    return Dependency(spec=spec, line=line, group=group, marker=marker, specifier=pep508_specifier(text))


def _numbers(version: str) -> list[int]:
    """The first three numbers of a version (a number too long for ``int()`` counts as 0: not a version)."""
    return [int(x) if len(x) <= 64 else 0 for x in re.findall(r"\d+", version)[:3]] or [0]


def _bump(parts: list[int], index: int) -> str:
    bumped = [*parts[:index], parts[index] + 1]
    return ".".join(str(p) for p in bumped)


def poetry_constraint(constraint: str) -> str:
    """Translate a poetry version constraint into a PEP 440 specifier set (``||`` alternatives joined by
    ``||``, which callers split). ``^1.2.3`` -> ``>=1.2.3,<2``; ``~1.2`` -> ``>=1.2,<1.3``; ``1.2.3`` -> ``==1.2.3``."""
    out: list[str] = []
    for alt in constraint.split("||"):
        clauses: list[str] = []
        for raw in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", alt.strip()):
            c = raw.strip().replace(" ", "")
            if not c or c == "*":
                continue
            if c[0] == "^":
                v = c[1:]
                nums = _numbers(v)
                idx = next((k for k, n in enumerate(nums) if n != 0), len(nums) - 1)
                clauses.append(f">={v},<{_bump(nums, idx)}")
            elif c[0] == "~" and not c.startswith("~="):
                v = c[1:]
                nums = _numbers(v)
                idx = 1 if len(nums) > 1 else 0
                clauses.append(f">={v},<{_bump(nums, idx)}")
            elif c[0].isdigit():
                clauses.append(f"=={c}")
            else:
                clauses.append(c)
        out.append(",".join(clauses))
    return "||".join(out)


def _poetry_dep(name: str, value: Any, line: int, group: str) -> Dependency | None:
    if name.lower() == "python":
        return None
    marker = None
    if isinstance(value, list):  # multiple constraints: judge the first
        value = value[0] if value else "*"
    if isinstance(value, dict):
        marker = value.get("markers")
        if "git" in value:
            ref = value.get("rev") or value.get("tag") or value.get("branch") or ""
            url = f"git+{value['git']}" + (f"@{ref}" if ref else "")
            spec = classify_requirement(f"{name} @ {url}")
            return Dependency(spec=spec, line=line, group=group, marker=marker)
        if "path" in value or "url" in value:
            kind = SpecKind.PATH if "path" in value else SpecKind.URL
            where = value.get("path") or value.get("url") or ""
            return Dependency(
                spec=PackageSpec(f"{name} @ {where}", name, kind, pinned=kind is SpecKind.URL),
                line=line,
                group=group,
                marker=marker,
            )
        constraint = str(value.get("version", "*"))
    else:
        constraint = str(value)
    specifier = poetry_constraint(constraint)
    pinned = bool(re.fullmatch(r"==[^,|*]+", specifier))
    spec = PackageSpec(
        f"{name} {constraint}",
        name,
        SpecKind.NAME,
        version=specifier[2:] if pinned else None,
        pinned=pinned,
        reason="" if pinned else ("no version" if constraint == "*" else f"`{constraint}` is a range"),
    )
    return Dependency(spec=spec, line=line, group=group, marker=marker, specifier=specifier)


def parse_pyproject(text: str, path: str) -> DependencyFile:
    data, issue = loads(text)
    if data is None:
        return DependencyFile(path, DepKind.PYPROJECT, issues=(issue,) if issue else ())
    finder = LineFinder(text)
    shape = finder.checker()
    _, data = shape.check(jsonable(data), _DOCUMENT)
    deps: list[Dependency] = []
    issues = shape.issues
    project = data.get("project", {}) if isinstance(data.get("project"), dict) else {}

    def strings(values: Any, section: str, group: str) -> None:
        start = finder.table(section)
        cursor = start if start >= 0 else 0
        if not isinstance(values, list):
            return
        for v in values:
            if not isinstance(v, str):
                continue  # {include-group = "x"}
            pos = finder.string(v, cursor)
            if pos >= 0:
                cursor = pos + 1
            deps.append(_pep508(v, finder.line_of(pos), group))

    strings(project.get("dependencies"), "project", "")
    for extra, values in (project.get("optional-dependencies") or {}).items():
        strings(values, "project.optional-dependencies", f"extra:{extra}")
    for group, values in (data.get("dependency-groups") or {}).items():
        strings(values, "dependency-groups", group)
    tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
    uv = tool.get("uv", {}) if isinstance(tool.get("uv"), dict) else {}
    strings(uv.get("dev-dependencies"), "tool.uv", "dev")
    poetry = tool.get("poetry", {}) if isinstance(tool.get("poetry"), dict) else {}
    python = project.get("requires-python")
    sections: list[tuple[str, str, Any]] = [("tool.poetry.dependencies", "", poetry.get("dependencies"))]
    sections.append(("tool.poetry.dev-dependencies", "dev", poetry.get("dev-dependencies")))
    for group, body in (poetry.get("group") or {}).items():
        if isinstance(body, dict):
            sections.append((f"tool.poetry.group.{group}.dependencies", group, body.get("dependencies")))
    for section, group, table in sections:
        if not isinstance(table, dict):
            continue
        start = finder.table(section)
        for name, value in table.items():
            pos = finder.key(name, start if start >= 0 else 0)
            if name.lower() == "python" and python is None:
                python = poetry_constraint(str(value))
            dep = _poetry_dep(name, value, finder.line_of(pos), group)
            if dep is not None:
                deps.append(dep)
    python_line = finder.line_of(finder.key("requires-python")) if "requires-python" in project else 1
    return DependencyFile(
        path=path,
        kind=DepKind.PYPROJECT,
        dependencies=tuple(deps),
        python=str(python) if python else None,
        python_line=python_line,
        raw=data,
        issues=tuple(issues),
    )
