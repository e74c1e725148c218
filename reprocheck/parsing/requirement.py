"""Judge one Python requirement (PEP 508 string, URL, VCS URL or path): is it pinned to exactly one thing?

The common forms (``name``, ``name==1.2``, ``name[extra]>=1``) are decided with one regular expression so
that the lint path does not import ``packaging`` (~40 ms) for a plain Dockerfile; anything else goes through
``packaging.requirements.Requirement``, imported on first use.
"""

from __future__ import annotations

import re
from functools import lru_cache

from reprocheck.model.install import PackageSpec, SpecKind
from reprocheck.model.patterns import lazy
from reprocheck.parsing.versions import has_variable, is_commit, simple_clauses

VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")
_ARCHIVE = re.compile(r"\.(whl|tar\.gz|tgz|tar\.bz2|tar\.xz|zip|egg)$", re.IGNORECASE)
_SIMPLE = re.compile(
    r"(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?P<extras>\[[^\]]*\])?\s*(?P<spec>[^;]*)(?:;.*)?"
)
_EXACT = re.compile(r"(===?)\s*(?P<version>[^\s,;*]+)")
_VAR_ONLY = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$\(.*\)|`.*`")


def vcs_ref(url: str) -> str | None:
    """The ``@ref`` of a VCS URL such as ``git+https://host/o/r.git@v1.0#egg=r`` (None when absent)."""
    body = url.split("#", 1)[0]
    scheme_end = body.find("://")
    rest = body[scheme_end + 3 :] if scheme_end >= 0 else body
    slash = rest.find("/")
    if slash < 0:
        return None
    path = rest[slash:]
    if "@" not in path:
        return None
    return path.rsplit("@", 1)[1] or None


def judge_vcs(raw: str, url: str, name: str) -> PackageSpec:
    ref = vcs_ref(url)
    if ref is None:
        return PackageSpec(raw, name, SpecKind.VCS, reason="no ref: it follows the default branch")
    if has_variable(ref):
        return PackageSpec(raw, name, SpecKind.VARIABLE, version=ref)
    if is_commit(ref):
        return PackageSpec(raw, name, SpecKind.VCS, version=ref, pinned=True)
    return PackageSpec(raw, name, SpecKind.VCS, version=ref, reason=f"ref `{ref}` is a branch or tag, not a commit")


def _name_from_url(url: str) -> str:
    m = re.search(r"[#&]egg=([A-Za-z0-9._-]+)", url)
    if m:
        return m.group(1)
    tail = url.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    tail = tail.split("@", 1)[0]
    return re.sub(r"\.git$", "", tail)


_PIP_ENV_VAR = lazy(r"\$\{[A-Z0-9_]+\}")
_VCS = ("git", "hg", "svn", "bzr")
_VCS_TRANSPORTS = ("http", "https", "ssh", "git", "file", "svn", "sftp", "ftp", "lp", "static-http")
_URL_SCHEMES = frozenset({"http", "https", "file", "ftp", *_VCS, *(f"{v}+{t}" for v in _VCS for t in _VCS_TRANSPORTS)})
_NAME_AT = re.compile(r"[A-Za-z0-9._-]+\s*(?:\[[^\]]*\]\s*)?@")  # not `\s*(...)?\s*`: quadratic on spaces


def classify_requirement(text: str, in_file: bool = False) -> PackageSpec:
    """Classify a requirement argument as pip would read it. In a requirements file (``in_file``) pip
    expands only ``${NAME}`` variables; any other ``$``, and a shell's backquotes, make the line invalid, as
    they do for pip."""
    t = text.strip()
    if in_file:
        head = t.split(";", 1)[0].strip()
        scheme = head.split(":", 1)[0].lower() if ":" in head else ""
        if scheme in _URL_SCHEMES:  # pip's test: a known scheme, in any case, with or without `//`
            if scheme == "file":
                return PackageSpec(t, head, SpecKind.PATH)
            if scheme.split("+", 1)[0] in _VCS:
                return judge_vcs(t, head, _name_from_url(head))
            return PackageSpec(t, _name_from_url(head), SpecKind.URL, pinned=True)
        if ";" in t and "://" not in t and (why := _invalid_marker(t.split(";", 1)[1].strip())):
            return PackageSpec(t, head, reason=f"not a valid requirement ({why})")
        # pip's rule in a file: not a URL nor `name @ url`, and a path separator or a leading dot: a path
        if "://" not in head and not _NAME_AT.match(head) and ("/" in head or head.startswith(".")):
            return PackageSpec(t, head, SpecKind.PATH)
        if ("$" in t and not _PIP_ENV_VAR.search(t)) or "`" in t or head.lower().startswith(VCS_PREFIXES):
            return _classify_with_packaging(t)  # what pip reads literally (or, `git+` without a scheme, not as a URL)
    return _classify(t)


@lru_cache(maxsize=1024)
def _invalid_marker(marker: str) -> str | None:
    """Why pip rejects an environment marker (None when it is valid, or empty)."""
    if not marker:
        return None
    from packaging.markers import InvalidMarker, Marker

    try:
        Marker(marker)
    except InvalidMarker as exc:
        return str(exc).splitlines()[0]
    return None


@lru_cache(maxsize=4096)
def _classify(t: str) -> PackageSpec:
    if not t:
        return PackageSpec(t, "", SpecKind.VARIABLE)
    if _VAR_ONLY.fullmatch(t):
        return PackageSpec(t, t, SpecKind.VARIABLE)
    if t.startswith(VCS_PREFIXES):
        return judge_vcs(t, t, _name_from_url(t))
    if " @ " in t or re.match(r"[A-Za-z0-9._-]+(\[[^\]]*\])?\s*@\s*\S+://", t):
        name, _, url = t.partition("@")
        name = re.sub(r"\[.*\]", "", name).strip()
        url = url.strip().split(";", 1)[0].strip()
        if url.startswith(VCS_PREFIXES):
            return judge_vcs(t, url, name)
        if url.startswith("file:"):
            return PackageSpec(t, name, SpecKind.PATH)
        return PackageSpec(t, name, SpecKind.URL, pinned=True)
    if "://" in t:
        if t.startswith("file:"):
            return PackageSpec(t, t, SpecKind.PATH)
        return PackageSpec(t, _name_from_url(t), SpecKind.URL, pinned=True)
    if t.startswith((".", "/", "~/")) or _ARCHIVE.search(t) or ("/" in t and not re.search(r"[<>=!~]", t)):
        return PackageSpec(t, t, SpecKind.PATH)
    m = _SIMPLE.fullmatch(t)
    if m is None:
        return _classify_with_packaging(t)
    # the specifier's trailing spaces are stripped here: a lazy `[^;]*?\s*` would cost quadratic time
    name, spec = m.group("name"), m.group("spec").rstrip()
    if not spec:
        if has_variable(t):
            return PackageSpec(t, name, SpecKind.VARIABLE)
        return PackageSpec(t, name, reason="no version")
    if has_variable(spec):
        # a version from a build argument: pinned by whoever passes it (or by the ARG default)
        exact = spec.lstrip().startswith("==")
        return PackageSpec(t, name, SpecKind.VARIABLE if not exact else SpecKind.NAME, pinned=exact, version=spec)
    e = _EXACT.fullmatch(spec)
    if e:
        return PackageSpec(t, name, version=e.group("version"), pinned=True)
    clauses = simple_clauses(spec)
    if clauses is not None and ";" not in t:
        return judge_specifiers(t, name, clauses)
    return _classify_with_packaging(t)


def _classify_with_packaging(t: str) -> PackageSpec:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(t)
    except InvalidRequirement as exc:
        reason = str(exc).splitlines()[0]
        return PackageSpec(t, t.split(";", 1)[0].strip(), reason=f"not a valid requirement ({reason})")
    if req.url:
        if req.url.startswith(VCS_PREFIXES):
            return judge_vcs(t, req.url, req.name)
        if req.url.startswith("file:"):
            return PackageSpec(t, req.name, SpecKind.PATH)
        return PackageSpec(t, req.name, SpecKind.URL, pinned=True)
    return judge_specifiers(t, req.name, [(s.operator, s.version) for s in req.specifier])


def judge_specifiers(raw: str, name: str, specs: list[tuple[str, str]]) -> PackageSpec:
    """Pinned when one specifier is ``===`` or ``==`` without a wildcard."""
    for op, version in specs:
        if op == "===" or (op == "==" and not version.endswith(".*")):
            return PackageSpec(raw, name, version=version, pinned=True)
    if not specs:
        return PackageSpec(raw, name, reason="no version")
    text = ",".join(op + v for op, v in specs)
    if any(op == "~=" for op, _ in specs):
        why = f"`{text}` admits later releases"
    elif any(op == "==" for op, _ in specs):
        why = f"`{text}` is a wildcard"
    elif all(op in ("<", "<=", "!=") for op, _ in specs):
        why = f"`{text}` has no lower bound"
    else:
        why = f"`{text}` is a range"
    return PackageSpec(raw, name, reason=why)


_SPEC_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$", re.DOTALL)


def pep508_specifier(text: str) -> str:
    """The version specifier of a PEP 508 string (``"numpy[x]>=1.2; python_version<'3.12'"`` -> ``>=1.2``)."""
    body = text.split(";", 1)[0]
    m = _SPEC_NAME.match(body)
    if not m or "@" in m.group(3):
        return ""
    spec = m.group(3).strip()
    if spec.startswith("(") and spec.endswith(")"):
        spec = spec[1:-1]
    return spec.replace(" ", "")
