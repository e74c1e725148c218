"""What an image holds, as plain data: the Python distributions its interpreter sees (importlib.metadata, so it
works without pip), the interpreter's version and marker environment, and the OS packages of dpkg or apk.

``SNIPPET`` runs inside the image with no network; the package databases are read from the stopped container,
so an image without Python still gets its OS packages checked. Parsing is pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reprocheck.envprobe import PROBE
from reprocheck.ml_probe import clean_ml
from reprocheck.model.bounded import loads
from reprocheck.model.users import FILES as USER_FILES
from reprocheck.model.users import resolve

PASSWD, GROUP = USER_FILES

DPKG_STATUS = "/var/lib/dpkg/status"
APK_INSTALLED = "/lib/apk/db/installed"

# The environment probe smoke and record run too (reprocheck/envprobe.py): under the image's own interpreter
# (3.8+), standard library only; one JSON document with the interpreter, its marker environment and every
# distribution (first copy on sys.path, later copies under "shadowed").
SNIPPET = PROBE


@dataclass(frozen=True)
class Dist:
    name: str
    version: str
    location: str = ""
    installer: str = ""
    direct_url: bool = False
    requires: tuple[str, ...] = ()  # Requires-Dist names (no extras): the image's dependency graph


@dataclass(frozen=True)
class Inventory:
    """What the probe found. ``python`` is None when the image has no usable interpreter (``python_error``)."""

    python: str | None = None
    python_command: str | None = None
    implementation: str = "cpython"
    markers: Mapping[str, str] = field(default_factory=dict)
    dists: tuple[Dist, ...] = ()
    shadowed: tuple[Dist, ...] = ()  # a second copy of a name, later on sys.path (never imported)
    os_manager: str | None = None  # "dpkg" | "apk" | None
    os_packages: Mapping[str, str] = field(default_factory=dict)
    python_error: str | None = None
    user: str = ""  # the image's configured user ("" = root)
    user_root: bool | None = None  # the user is uid 0 in the image's /etc/passwd (None: not read)
    ml: Mapping[str, object] = field(default_factory=dict)  # the probe's ``ml`` section (reprocheck/ml_probe.py)


def parse_probe(stdout: bytes) -> tuple[dict[str, object] | None, str | None]:
    """The snippet's JSON document, or an error in words."""
    for line in reversed(stdout.decode("utf-8", "replace").splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                doc = loads(line)
            except ValueError:
                break
            if isinstance(doc, dict):
                return doc, None
    return None, "the probe printed no inventory"


def dists_from(doc: Mapping[str, object]) -> tuple[tuple[Dist, ...], tuple[Dist, ...]]:
    """(first copy of each distribution on sys.path, later copies)."""
    from reprocheck.model.names import canonical

    first: dict[str, Dist] = {}
    later: list[Dist] = []
    raw = doc.get("dists")
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        d = Dist(
            str(item.get("name", "")),
            str(item.get("version", "")),
            str(item.get("location", "")),
            str(item.get("installer", "")),
            bool(item.get("direct_url", False)),
            tuple(str(r) for r in item.get("requires") or () if isinstance(r, str)),
        )
        key = canonical(d.name)
        if key in first:
            later.append(d)
        else:
            first[key] = d
    return tuple(first.values()), tuple(later)


def parse_dpkg_status(text: str) -> dict[str, str]:
    """Package -> version of the installed packages of a dpkg status file."""
    out: dict[str, str] = {}
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line[:1] in (" ", "\t") or ":" not in line:
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        name, version, status = fields.get("package"), fields.get("version"), fields.get("status", "")
        if name and version and status.endswith(" installed"):
            arch = fields.get("architecture", "")
            out[name] = version
            if arch and arch != "all":
                out.setdefault(f"{name}:{arch}", version)
    return out


def parse_apk_installed(text: str) -> dict[str, str]:
    """Package -> version of apk's installed database (``P:`` and ``V:`` lines)."""
    out: dict[str, str] = {}
    name = version = None
    for line in [*text.splitlines(), ""]:
        if not line.strip():
            if name and version:
                out[name] = version
            name = version = None
        elif line.startswith("P:"):
            name = line[2:].strip()
        elif line.startswith("V:"):
            version = line[2:].strip()
    return out


def inventory(
    doc: Mapping[str, object] | None,
    python_command: str | None,
    files: Mapping[str, bytes],
    user: str = "",
    python_error: str | None = None,
) -> Inventory:
    """Put the probe's output and the package databases together."""
    os_manager: str | None = None
    os_packages: dict[str, str] = {}
    root = resolve(user, files[PASSWD], files.get(GROUP)).root if PASSWD in files else None
    if DPKG_STATUS in files:
        os_manager, os_packages = "dpkg", parse_dpkg_status(files[DPKG_STATUS].decode("utf-8", "replace"))
    elif APK_INSTALLED in files:
        os_manager, os_packages = "apk", parse_apk_installed(files[APK_INSTALLED].decode("utf-8", "replace"))
    if doc is None:
        return Inventory(
            python_error=python_error, os_manager=os_manager, os_packages=os_packages, user=user, user_root=root
        )
    ml = doc.get("ml")
    if isinstance(doc.get("distributions"), Mapping):  # the environment probe's document
        doc = _from_record(doc)
    dists, shadowed = dists_from(doc)
    markers = doc.get("markers")
    return Inventory(
        python=str(doc.get("python") or "") or None,
        python_command=python_command,
        implementation=str(doc.get("implementation") or "cpython"),
        markers={str(k): str(v) for k, v in markers.items()} if isinstance(markers, dict) else {},
        dists=dists,
        shadowed=shadowed,
        os_manager=os_manager,
        os_packages=os_packages,
        python_error=str(doc["error"]) if doc.get("error") else python_error,
        user=user,
        user_root=root,
        ml=clean_ml(ml) if ml is not None else {},
    )


def _from_record(doc: Mapping[str, object]) -> dict[str, object]:
    """The environment probe's document in the inventory's shape (one list, first copies then later ones)."""
    interp = doc.get("interpreter")
    interp = interp if isinstance(interp, Mapping) else {}
    dists: list[object] = []
    raw = doc.get("distributions")
    for key, info in raw.items() if isinstance(raw, Mapping) else ():
        if isinstance(info, Mapping):
            dists.append({**info, "name": info.get("name") or key})
    shadowed = doc.get("shadowed")
    dists += [d for d in shadowed if isinstance(d, Mapping)] if isinstance(shadowed, list) else []
    return {
        "python": interp.get("version"),
        "implementation": interp.get("implementation"),
        "markers": doc.get("markers"),
        "dists": dists,
        "error": doc.get("error"),
    }
