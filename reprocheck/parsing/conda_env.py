"""conda environment files (environment.yml: channels, conda specs ``name=ver=build``, the ``pip:``
subsection), conda-lock's unified ``conda-lock.yml``, and ``@EXPLICIT`` lists (conda-linux-64.lock).

YAML is read with PyYAML's composer so that every entry keeps its line; libyaml's C loader is used when
present (a conda-lock.yml can hold thousands of entries)."""

from __future__ import annotations

import re
from typing import Any

from reprocheck.model.deps import Dependency, DependencyFile, DepKind, FileOption, LockedFile, LockedPackage
from reprocheck.model.dockerfile import ParseIssue
from reprocheck.parsing.installers.conda import judge_conda_spec
from reprocheck.parsing.requirement import classify_requirement
from reprocheck.parsing.text import numbered_lines

_CONDA_FILE = re.compile(
    r"/(?P<subdir>[\w-]+)/(?P<name>[^/]+)-(?P<version>[^-/]+)-(?P<build>[^-/]+)\.(conda|tar\.bz2)(#.*)?$"
)


def _compose(text: str) -> tuple[Any, ParseIssue | None]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.compose(text, Loader=loader), None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, ParseIssue(line, f"invalid YAML: {problem}")
    except RecursionError:
        return None, ParseIssue(1, "invalid YAML: lists or mappings nested too deeply to read")


def _get(node: Any, key: str) -> Any:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v
    return None


def _scalars(node: Any) -> list[tuple[int, str]]:
    import yaml

    if not isinstance(node, yaml.SequenceNode):
        return []
    return [(n.start_mark.line + 1, str(n.value)) for n in node.value if isinstance(n, yaml.ScalarNode)]


def _plain(node: Any, memo: dict[int, Any] | None = None) -> Any:
    """A composed node back to Python data (for the few keys read as whole values). Keys are strings
    (a mapping or list used as a key is dropped); a node met again through an alias is the same object,
    so ``&a``/``*a`` chains (a billion laughs) and cycles cost one visit per node."""
    import yaml

    memo = {} if memo is None else memo
    if id(node) in memo:
        return memo[id(node)]
    if isinstance(node, yaml.MappingNode):
        table: dict[str, Any] = {}
        memo[id(node)] = table
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                table[k.value] = _plain(v, memo)
        return table
    if isinstance(node, yaml.SequenceNode):
        items: list[Any] = []
        memo[id(node)] = items
        items.extend(_plain(v, memo) for v in node.value)
        return items
    if isinstance(node, yaml.ScalarNode):
        return node.value
    return None


def _line(node: Any) -> int:
    return int(node.start_mark.line) + 1 if node is not None and getattr(node, "start_mark", None) else 1


def _expect_list(node: Any, key: str, issues: list[ParseIssue]) -> None:
    """A key that must hold a YAML list: report another shape on its line."""
    import yaml

    if node is not None and not isinstance(node, yaml.SequenceNode):
        if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
            return  # `dependencies:` with nothing under it: an empty list
        issues.append(ParseIssue(_line(node), f"`{key}` must be a list"))


def parse_conda_env(text: str, path: str) -> DependencyFile:
    """environment.yml. A file whose name says ``lock`` is held to lock standards (build strings)."""
    root, issue = _compose(text)
    if issue is not None:
        return DependencyFile(path, DepKind.CONDA_ENV, issues=(issue,))
    import yaml

    if not isinstance(root, yaml.MappingNode):
        return DependencyFile(path, DepKind.CONDA_ENV, issues=(ParseIssue(1, "not a conda environment (no mapping)"),))
    strict = "lock" in path.rsplit("/", 1)[-1].lower()
    deps: list[Dependency] = []
    issues: list[ParseIssue] = []
    python: str | None = None
    python_line = 1
    deps_node = _get(root, "dependencies")
    _expect_list(deps_node, "dependencies", issues)
    _expect_list(_get(root, "channels"), "channels", issues)
    for item in deps_node.value if isinstance(deps_node, yaml.SequenceNode) else ():
        if isinstance(item, yaml.ScalarNode):
            line = item.start_mark.line + 1
            spec = judge_conda_spec(str(item.value), strict_build=strict)
            deps.append(Dependency(spec=spec, line=line, manager="conda"))
            if spec.name == "python" and python is None:
                m = re.search(r"(\d+\.\d+(?:\.\d+)?)", str(item.value)[len("python") :])
                if m:
                    python, python_line = m.group(1), line
        elif isinstance(item, yaml.MappingNode):
            _expect_list(_get(item, "pip"), "pip", issues)
            for line, value in _scalars(_get(item, "pip")):
                if value.startswith("-"):
                    continue  # pip options inside the environment (-r, --index-url) are not entries
                deps.append(Dependency(spec=classify_requirement(value), line=line, manager="pip", group="pip"))
    channels = tuple(v for _, v in _scalars(_get(root, "channels")))
    options = tuple(FileOption(line, "channel", v) for line, v in _scalars(_get(root, "channels")))
    return DependencyFile(
        path=path,
        kind=DepKind.CONDA_ENV,
        dependencies=tuple(deps),
        options=options,
        python=python,
        python_line=python_line,
        channels=channels,
        issues=tuple(issues),
    )


def parse_conda_lock(text: str, path: str) -> DependencyFile:
    """conda-lock.yml (unified lock, version 1) or an @EXPLICIT list."""
    if "@EXPLICIT" in text[:4000] or not text.lstrip().startswith(("version", "metadata", "package", "#")):
        return _parse_explicit(text, path)
    root, issue = _compose(text)
    if issue is not None:
        return DependencyFile(path, DepKind.CONDA_LOCK, issues=(issue,))
    import yaml

    locked: list[LockedPackage] = []
    issues: list[ParseIssue] = []
    packages = _get(root, "package")
    _expect_list(packages, "package", issues)
    memo: dict[int, Any] = {}
    for node in packages.value if isinstance(packages, yaml.SequenceNode) else ():
        entry = _plain(node, memo)
        if not isinstance(entry, dict):
            issues.append(ParseIssue(_line(node), "`package` must be a list of tables"))
            continue
        bad = [k for k in ("name", "version", "url", "manager", "platform", "category") if _not_text(entry.get(k))]
        if bad:
            issues.append(ParseIssue(_line(node), f"`{bad[0]}` must be a string"))
            continue
        hashes = entry.get("hash") or {}
        url = str(entry.get("url", ""))
        digest = (
            next((f"{algo}:{value}" for algo, value in hashes.items() if value), None)
            if isinstance(hashes, dict)
            else None
        )
        locked.append(
            LockedPackage(
                name=str(entry.get("name", "")),
                version=str(entry.get("version", "")),
                line=node.start_mark.line + 1,
                source="url" if url else "registry",
                files=(LockedFile(url.rsplit("/", 1)[-1], digest),) if url else (),
                manager=str(entry.get("manager", "conda")),
                platform=str(entry.get("platform")) if entry.get("platform") else None,
                groups=(str(entry.get("category", "main")),),
            )
        )
    meta = _plain(_get(root, "metadata"), memo) or {}
    raw_platforms = meta.get("platforms", ()) if isinstance(meta, dict) else ()
    if not isinstance(raw_platforms, (list, tuple)):
        issues.append(ParseIssue(_line(_get(_get(root, "metadata"), "platforms")), "`platforms` must be a list"))
        raw_platforms = ()
    platforms = tuple(p for p in raw_platforms if isinstance(p, str))
    python = next((p.version for p in locked if p.name == "python"), None)
    return DependencyFile(
        path=path,
        kind=DepKind.CONDA_LOCK,
        locked=tuple(locked),
        platforms=platforms,
        python=python,
        generator="conda-lock",
        issues=tuple(issues),
    )


def _not_text(value: Any) -> bool:
    return value is not None and not isinstance(value, str)


def _parse_spec_list(text: str, path: str) -> DependencyFile:
    """``conda install --file specs.txt``: one MatchSpec per line, judged like an environment's entries."""
    deps = [
        Dependency(spec=judge_conda_spec(line.split("#", 1)[0].strip()), line=number, manager="conda")
        for number, line in numbered_lines(text)
        if line.split("#", 1)[0].strip()
    ]
    return DependencyFile(path=path, kind=DepKind.CONDA_ENV, dependencies=tuple(deps))


def _parse_explicit(text: str, path: str) -> DependencyFile:
    if "@EXPLICIT" not in text and "://" not in text:
        return _parse_spec_list(text, path)
    locked: list[LockedPackage] = []
    issues: list[ParseIssue] = []
    platform: str | None = None
    for number, raw in numbered_lines(text):
        line = raw.strip()
        if line.startswith("# platform:"):
            platform = line.split(":", 1)[1].strip()
        if not line or line.startswith(("#", "@")):
            continue
        m = _CONDA_FILE.search(line)
        if m is None:
            issues.append(ParseIssue(number, "not a conda package URL"))
            continue
        digest = line.split("#", 1)[1] if "#" in line else None
        if digest and ":" not in digest:
            digest = ("md5:" if len(digest) == 32 else "sha256:") + digest
        locked.append(
            LockedPackage(
                name=m.group("name"),
                version=m.group("version"),
                line=number,
                source="url",
                files=(LockedFile(line.split("#", 1)[0].rsplit("/", 1)[-1], digest),),
                manager="conda",
                platform=m.group("subdir"),
            )
        )
    python = next((p.version for p in locked if p.name == "python"), None)
    return DependencyFile(
        path=path,
        kind=DepKind.CONDA_LOCK,
        locked=tuple(locked),
        platforms=(platform,) if platform else (),
        python=python,
        generator="conda explicit",
        issues=tuple(issues),
    )
