"""The environment record: what commonly differs between two machines that run the same prediction.

``PROBE`` is one snippet of standard-library Python (3.8+) run by ``record`` on the host, by ``smoke`` inside
the image, and by ``verify`` (with no command: the interpreter it is started with). Given the prediction's
command (``python ...``, ``uvicorn ...``, ``uv run ...``) it finds the interpreter that really runs it -- the
script on PATH and its shebang, the venv it belongs to, the project's .venv -- and re-executes itself under that
interpreter, then prints one JSON document: the interpreter and its marker environment, every installed
distribution (installer, requirements, modules, location; later copies on sys.path under ``shadowed``), the
platform, libc, CPUs, timezone, locale, PYTHONHASHSEED, the environment variables (secret-looking values
hashed) and the working directory.

Everything else here is pure: parsing the document and the record's shape (docs/env-record.schema.json).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reprocheck.ml_probe import ML_FACTS as _ML_FACTS
from reprocheck.ml_probe import clean_ml
from reprocheck.model.bounded import loads as bounded_loads

SCHEMA = "reprocheck-env-record/1"
# keys of the record whose bytes change between two identical runs; everything else is stable
VOLATILE_KEY = "recorded"

# The differential probe (issue 25), run with the base probe on both sides: given `--reprocheck-facts <json>`
# naming resources a failure touched ({"modules": [...], "libraries": [...], "executables": [...], "paths": [...],
# "env": [...], "uids": [...], "scripts": [...]}), it looks each one up the same way (exists, where, version or
# owning distribution / OS package, mode and owner against the running user, PATH resolution) and describes the
# sandbox's limits (user entry, home, read-only root, /dev/shm, cgroup limits, GPUs, network interfaces).
# Bounded: no network, at most 50 names a kind, files hashed up to 64 MB, the package index read once.
_FACTS = r"""
def _facts_main(raw):
    import stat
    try:
        request = json.loads(raw or "{}")
    except ValueError:
        request = {}
    if not isinstance(request, dict):
        request = {}
    try:
        import pwd
    except ImportError:
        pwd = None
    try:
        import grp
    except ImportError:
        grp = None

    def names(kind):
        v = request.get(kind)
        return [str(x)[:300] for x in v[:50]] if isinstance(v, list) else []

    def read(path, limit=4096):
        try:
            with open(path, "rb") as fh:
                return fh.read(limit).decode("utf-8", "replace").strip()
        except OSError:
            return None

    def user_name(uid):
        try:
            return pwd.getpwuid(uid).pw_name if pwd else None
        except (KeyError, OverflowError):
            return None

    def group_name(gid):
        try:
            return grp.getgrgid(gid).gr_name if grp else None
        except (KeyError, OverflowError):
            return None

    owners_cache = {}

    def os_owner(path):
        # the OS package whose file list has this path (dpkg, apk), or None
        if not owners_cache:
            owners_cache["ready"] = {}
            table = owners_cache["ready"]
            info = "/var/lib/dpkg/info"
            try:
                lists = [f for f in os.listdir(info) if f.endswith(".list")][:6000]
            except OSError:
                lists = []
            for f in lists:
                pkg = f[:-5].split(":")[0]
                try:
                    with open(os.path.join(info, f), "rb") as fh:
                        for line in fh:
                            table.setdefault(line.rstrip(b"\n").decode("utf-8", "replace"), pkg)
                except OSError:
                    pass
            try:
                with open("/lib/apk/db/installed", "rb") as fh:
                    pkg, folder = None, ""
                    for line in fh:
                        text = line.rstrip(b"\n").decode("utf-8", "replace")
                        if text.startswith("P:"):
                            pkg = text[2:]
                        elif text.startswith("F:"):
                            folder = text[2:]
                        elif text.startswith("R:") and pkg:
                            table.setdefault("/" + folder + "/" + text[2:], pkg)
            except OSError:
                pass
        table = owners_cache["ready"]
        candidates = [path, os.path.realpath(path)]
        for c in list(candidates):
            if c.startswith("/usr/"):
                candidates.append(c[4:])
            else:
                candidates.append("/usr" + c)
        for c in candidates:
            if c in table:
                return table[c]
        return None

    res = {}
    uid = os.getuid() if hasattr(os, "getuid") else None
    gid = os.getgid() if hasattr(os, "getgid") else None
    entry = None
    if pwd is not None and uid is not None:
        try:
            e = pwd.getpwuid(uid)
            entry = {"name": e.pw_name, "home": e.pw_dir}
        except KeyError:
            entry = None
    home = os.environ.get("HOME") or (entry or {}).get("home")
    osr = {}
    for line in (read("/etc/os-release") or read("/usr/lib/os-release") or "").splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            if k in ("ID", "ID_LIKE", "VERSION_ID", "VERSION_CODENAME", "PRETTY_NAME"):
                osr[k.lower()] = v.strip().strip('"')
    system = {"uid": uid, "gid": gid, "passwd": entry, "home": home,
              "home_exists": bool(home) and os.path.isdir(home),
              "home_writable": bool(home) and os.access(home, os.W_OK),
              "path": os.environ.get("PATH", ""), "os": osr}
    try:
        system["root_read_only"] = bool(os.statvfs("/").f_flag & getattr(os, "ST_RDONLY", 1))
    except (OSError, AttributeError):
        system["root_read_only"] = None
    try:
        st = os.statvfs("/dev/shm")
        system["shm_bytes"] = st.f_blocks * st.f_frsize
    except (OSError, AttributeError):
        system["shm_bytes"] = None
    for key, paths in (("memory_limit", ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")),
                       ("pids_limit", ("/sys/fs/cgroup/pids.max", "/sys/fs/cgroup/pids/pids.max"))):
        value = None
        for p in paths:
            value = read(p, 64)
            if value:
                break
        system[key] = value
    system["gpu_devices"] = sorted(d for d in ("/dev/nvidia0", "/dev/nvidiactl", "/dev/kfd", "/dev/dxg")
                                   if os.path.exists(d))
    try:
        system["network_interfaces"] = sorted(os.listdir("/sys/class/net"))[:20]
    except OSError:
        system["network_interfaces"] = None
    res["system"] = system

    def file_fact(name):
        path = name if os.path.isabs(name) else os.path.join(os.getcwd(), name)
        d = {"path": path}
        try:
            st = os.stat(path)
        except OSError as exc:
            d["exists"] = False
            d["error"] = exc.strerror or str(exc)
            parent = os.path.dirname(path) or "/"
            d["parent_exists"] = os.path.isdir(parent)
            d["parent_writable"] = os.access(parent, os.W_OK)
            return d
        d["exists"] = True
        d["type"] = "dir" if stat.S_ISDIR(st.st_mode) else "file" if stat.S_ISREG(st.st_mode) else "other"
        d["mode"] = "%04o" % stat.S_IMODE(st.st_mode)
        d["uid"], d["gid"] = st.st_uid, st.st_gid
        d["owner"], d["group"] = user_name(st.st_uid), group_name(st.st_gid)
        d["size"] = st.st_size
        d["readable"] = os.access(path, os.R_OK)
        d["writable"] = os.access(path, os.W_OK)
        if d["type"] == "file" and d["readable"] and st.st_size <= 64 * 1024 * 1024:
            h = hashlib.sha256()
            try:
                with open(path, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        h.update(block)
                d["sha256"] = h.hexdigest()
            except OSError:
                pass
        return d

    res["paths"] = dict((n, file_fact(n)) for n in names("paths"))

    def exe_fact(name):
        p = which(name)
        d = {"path": p}
        if p:
            d["real"] = os.path.realpath(p)
            d["package"] = os_owner(p) if os.path.isabs(p) else None
        return d

    res["executables"] = dict((n, exe_fact(n)) for n in names("executables"))

    def lib_dirs():
        dirs = [d for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") if d]
        conf = ["/etc/ld.so.conf"]
        try:
            conf += [os.path.join("/etc/ld.so.conf.d", f) for f in sorted(os.listdir("/etc/ld.so.conf.d"))]
        except OSError:
            pass
        for c in conf:
            for line in (read(c, 65536) or "").splitlines():
                line = line.strip()
                if line.startswith("/"):
                    dirs.append(line)
        dirs += ["/lib", "/usr/lib", "/lib64", "/usr/lib64", "/usr/local/lib"]
        for base in ("/lib", "/usr/lib"):
            try:
                dirs += [os.path.join(base, x) for x in os.listdir(base) if x.endswith("-linux-gnu")]
            except OSError:
                pass
        return list(dict.fromkeys(dirs))

    if names("libraries"):
        dirs = lib_dirs()
        libs = {}
        for n in names("libraries"):
            hit = next((os.path.join(d, n) for d in dirs if os.path.exists(os.path.join(d, n))), None)
            libs[n] = {"path": hit, "package": hit and os_owner(hit)}
        res["libraries"] = libs

    def module_fact(name):
        import importlib.util
        top = name.split(".")[0]
        d = {"found": False}
        try:
            spec = importlib.util.find_spec(top)
        except Exception as exc:
            spec = None
            d["error"] = str(exc)[:200]
        if spec is not None:
            d["found"] = True
            locs = list(spec.submodule_search_locations or [])
            d["origin"] = spec.origin if spec.origin and spec.origin != "namespace" else (locs[0] if locs else None)
        if metadata is not None and not dist_index:
            for dist in metadata.distributions():
                dname = dist.metadata["Name"] or ""
                direct = {}
                raw_direct = dist.read_text("direct_url.json")
                if raw_direct:
                    try:
                        direct = json.loads(raw_direct)
                    except ValueError:
                        pass
                dist_index.append((dist, dname, (dist.read_text("top_level.txt") or "").split(), direct))
        canon_top = re.sub(r"[-_.]+", "-", top).lower()
        for dist, dname, tops, direct in dist_index:
            editable = bool((direct.get("dir_info") or {}).get("editable"))
            mine = top in tops or re.sub(r"[-_.]+", "-", dname).lower() == canon_top
            if not mine and (editable or d.get("origin")) and not tops:
                files = [str(f) for f in (dist.files or [])[:5000]]
                mine = any(f == top + ".py" or f.startswith(top + "/") for f in files)
            if mine:
                d["dist"] = dname
                d["version"] = dist.version
                d["editable"] = editable
                url = str(direct.get("url") or "")
                if url.startswith("file://"):
                    d["project_dir"] = url[7:]
                break
        # where a copy of its source lies near the working directory (copied but not installed)
        copies = []
        queue = [(os.getcwd(), 0)]
        seen = 0
        while queue and seen < 400 and len(copies) < 5:
            root, depth = queue.pop(0)
            seen += 1
            try:
                entries = sorted(os.scandir(root), key=lambda e: e.name)
            except OSError:
                continue
            for e in entries:
                try:
                    if e.name == top + ".py" and e.is_file():
                        copies.append(e.path)
                    elif e.is_dir(follow_symlinks=False) and e.name not in (
                            "site-packages", "__pycache__", "node_modules", ".git", ".venv", "venv"):
                        if e.name == top and os.path.isfile(os.path.join(e.path, "__init__.py")):
                            copies.append(e.path)
                        elif depth < 3:
                            queue.append((e.path, depth + 1))
                except OSError:
                    pass
        d["copies"] = copies
        d["sys_path"] = [p for p in sys.path if p][:20]
        return d

    dist_index = []
    if names("modules"):
        res["modules"] = dict((n, module_fact(n)) for n in names("modules"))

    def script_fact(name):
        path = which(name) if "/" not in name else (os.path.abspath(name) if os.path.exists(name) else None)
        d = {"path": path}
        if not path:
            return d
        try:
            with open(path, "rb") as fh:
                line = fh.readline(512)
        except OSError as exc:
            d["error"] = exc.strerror or str(exc)
            return d
        d["executable"] = os.access(path, os.X_OK)
        if line.startswith(b"#!"):
            words = line[2:].decode("utf-8", "replace").split()
            d["shebang"] = " ".join(words)
            if words:
                interp = words[0]
                if os.path.basename(interp) == "env":
                    rest = [w for w in words[1:] if not w.startswith("-")]
                    d["wants"] = rest[0] if rest else None
                    d["resolves_to"] = which(rest[0]) if rest else None
                else:
                    d["wants"] = interp
                    d["resolves_to"] = interp if os.path.isfile(interp) else None
        return d

    res["scripts"] = dict((n, script_fact(n)) for n in names("scripts"))

    def env_fact(name):
        if name not in os.environ:
            return {"set": False}
        v = os.environ[name]
        hidden = SECRET.search(name) or CREDENTIALS.search(v)
        return {"set": True, "value": "sha256:" + hashlib.sha256(v.encode("utf-8", "replace")).hexdigest()[:16]
                if hidden else v[:500]}

    res["env"] = dict((n, env_fact(n)) for n in names("env"))
    uids = {}
    for n in names("uids"):
        try:
            uids[n] = {"known": True, "name": pwd.getpwuid(int(n)).pw_name} if pwd else {"known": None}
        except (KeyError, ValueError, OverflowError):
            uids[n] = {"known": False}
    res["uids"] = uids
    return res

if facts_request is not None:
    try:
        out["facts"] = _facts_main(facts_request)
    except Exception as exc:
        out["facts"] = {"error": "%s: %s" % (type(exc).__name__, exc)}
"""
_PRINT = r"""
print(json.dumps(out, sort_keys=True))
"""

# Runs under any Python 3.8+. argv[1:]: the command, then `--reprocheck-find` and names of files to look for.
_BASE = r"""
import hashlib, json, os, platform, re, sys, time
args = sys.argv[1:]
_fa = args.index("--reprocheck-facts") if "--reprocheck-facts" in args[:-1] else -1
facts_request = args[_fa + 1] if _fa >= 0 else None
_rest = args[:_fa] + args[_fa + 2:] if _fa >= 0 else args
cut = _rest.index("--reprocheck-find") if "--reprocheck-find" in _rest else len(_rest)
command, finds = _rest[:cut], _rest[cut + 1:]
first = command[0] if command else ""

def which(name):
    if "/" in name:
        return os.path.abspath(name) if os.path.isfile(name) else None
    for d in os.environ.get("PATH", "").split(os.pathsep):
        p = os.path.join(d or ".", name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None

def shebang(path):
    try:
        with open(path, "rb") as fh:
            line = fh.readline(512)
    except OSError:
        return None
    if not line.startswith(b"#!"):
        return None
    words = line[2:].decode("utf-8", "replace").split()
    if not words:
        return None
    if os.path.basename(words[0]) == "env":
        rest = [w for w in words[1:] if not w.startswith("-")]
        return which(rest[0]) if rest else None
    return words[0]

def resolve(first):
    if not first:
        return sys.executable, "this interpreter (no command)"
    base = os.path.basename(first)
    if re.match(r"^python[0-9.]*$", base):
        p = which(first)
        return (p, "the command's interpreter") if p else (None, "`%s` is not on PATH" % first)
    if base in ("uv", "poetry", "pipenv", "pdm", "hatch", "rye") and "run" in command[1:3]:
        for venv in (".venv", "venv"):
            p = os.path.join(os.getcwd(), venv, "bin", "python")
            if os.path.isfile(p):
                return p, "the project's %s (`%s run`)" % (venv, base)
    script = which(first)
    if script is None:
        return None, "`%s` is not on PATH" % first
    interp = shebang(script)
    if interp and os.path.isfile(interp) and "python" in os.path.basename(interp):
        return interp, "the shebang of %s" % script
    sibling = os.path.join(os.path.dirname(script), "python")
    if os.path.isfile(sibling):
        return sibling, "the environment of %s" % script
    return None, "%s is not a Python script" % script

if os.environ.get("REPROCHECK_PROBE_RESOLVED") != "1":
    interp, how = resolve(first)
    os.environ["REPROCHECK_PROBE_VIA"] = how
    if interp and os.path.abspath(interp) != os.path.abspath(sys.executable) and os.path.isfile(interp):
        os.environ["REPROCHECK_PROBE_RESOLVED"] = "1"
        try:
            os.execv(interp, [interp, "-c", __PROBE__] + args)
        except OSError:
            os.environ["REPROCHECK_PROBE_VIA"] = how + " (not runnable: this interpreter instead)"
    elif not interp:
        os.environ["REPROCHECK_PROBE_VIA"] = how + " (this interpreter instead)"

CREDENTIALS = re.compile(r"://[^/\s:@]+:[^/\s@]+@")  # a URL with a password in it, whatever its name
SECRET = re.compile(r"KEY|TOKEN|SECRET|PASSW|PASSWD|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|SIGNATURE|DSN", re.I)
out = {}
out["interpreter"] = {
    "version": platform.python_version(),
    "implementation": sys.implementation.name,
    "build": " ".join(platform.python_build()),
    "compiler": platform.python_compiler(),
    "executable": sys.executable,
    "prefix": sys.prefix,
    "venv": sys.prefix != getattr(sys, "base_prefix", sys.prefix),
    "resolved_from": os.environ.get("REPROCHECK_PROBE_VIA", ""),
}
out["markers"] = {
    "implementation_name": sys.implementation.name,
    "implementation_version": platform.python_version(),
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}
dists = {}
shadowed = []
try:
    from importlib import metadata
except ImportError:
    metadata = None
    out["error"] = "this Python has no importlib.metadata (3.8+ needed)"

def where(dist):
    try:
        return str(dist.locate_file(""))
    except Exception:
        return ""

if metadata is not None:
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name:
            continue
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in dists:  # a second copy later on sys.path: never imported
            shadowed.append({"name": name, "version": dist.version, "location": where(dist)})
            continue
        reqs = []
        for r in dist.requires or []:
            m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", r)
            if m and "extra ==" not in r.replace('"', "'").replace("extra==", "extra =="):
                reqs.append(re.sub(r"[-_.]+", "-", m.group(1)).lower())
        top = (dist.read_text("top_level.txt") or "").split()
        dists[key] = {"name": name, "version": dist.version,
                      "installer": (dist.read_text("INSTALLER") or "").strip(),
                      "requires": sorted(set(reqs)), "modules": sorted(set(top)), "location": where(dist),
                      "direct_url": bool(dist.read_text("direct_url.json"))}
out["distributions"] = dict(sorted(dists.items()))
out["shadowed"] = shadowed
libc = platform.libc_ver()
try:
    cpus = len(os.sched_getaffinity(0))
except (AttributeError, OSError):
    cpus = os.cpu_count()
out["platform"] = {"system": platform.system(), "release": platform.release(), "machine": platform.machine(),
                   "platform": platform.platform(), "libc": " ".join(x for x in libc if x),
                   "cpu_count": cpus, "sys_platform": sys.platform}
zone = ""
try:
    target = os.path.realpath("/etc/localtime")
    if "zoneinfo/" in target:
        zone = target.split("zoneinfo/", 1)[1]
except OSError:
    pass
lt = time.localtime()
out["timezone"] = {"TZ": os.environ.get("TZ"), "zone": os.environ.get("TZ") or zone or time.tzname[0],
                   "names": list(time.tzname), "utc_offset_seconds": lt.tm_gmtoff}
out["locale"] = dict(sorted((k, v) for k, v in os.environ.items() if k == "LANG" or k.startswith("LC_")))
try:
    import locale as _locale
    out["locale_in_effect"] = {"encoding": _locale.getpreferredencoding(False),
                               "numeric": _locale.setlocale(_locale.LC_NUMERIC, "") or ""}
except Exception as exc:
    out["locale_in_effect"] = {"error": str(exc)}
out["hashseed"] = {"PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED"),
                   "randomized": bool(sys.flags.hash_randomization)}
env = {}
for k, v in sorted(os.environ.items()):
    if k.startswith("REPROCHECK_PROBE_"):
        continue
    hidden = SECRET.search(k) or CREDENTIALS.search(v)
    env[k] = "sha256:" + hashlib.sha256(v.encode("utf-8", "replace")).hexdigest()[:16] if hidden else v
out["environment"] = env
out["cwd"] = os.getcwd()
if finds:
    found = {}
    skip = ("/proc", "/sys", "/dev", "/run", "/var/lib/dpkg", "/usr/share", "/usr/lib", "/usr/include")
    wanted = dict((os.path.basename(w), w) for w in finds)
    queue = [("/", 0)]
    seen = 0
    while queue and seen < 20000:
        root, depth = queue.pop(0)
        seen += 1
        try:
            entries = list(os.scandir(root))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if depth < 12 and not entry.path.startswith(skip) and entry.name not in (
                            "site-packages", "__pycache__", "node_modules", ".git"):
                        queue.append((entry.path, depth + 1))
                elif entry.name in wanted:
                    found.setdefault(wanted[entry.name], []).append(entry.path)
            except OSError:
                pass
    out["found"] = dict((k, sorted(v)[:10]) for k, v in sorted(found.items()))
"""
# each branch's addition to the probe is its own string, run before the document is printed (_PRINT)
PROBE = _BASE + _ML_FACTS + _FACTS + _PRINT
PROBE = PROBE.replace("__PROBE__", repr(PROBE))


def probe_argv(
    python: str, command: tuple[str, ...], find: tuple[str, ...] = (), facts: Mapping[str, Any] | None = None
) -> list[str]:
    """The argv that runs the probe with ``python`` for the prediction ``command`` (``facts``: the resources
    to look up, see ``_FACTS``)."""
    extra = ["--reprocheck-facts", json.dumps(facts, sort_keys=True)] if facts is not None else []
    extra += ["--reprocheck-find", *find] if find else []
    return [python, "-c", PROBE, *command, *extra]


def launcher(command: tuple[str, ...]) -> str:
    """Which Python starts the probe inside an image: the command's own when it names one, else ``python3``
    (the probe then follows the command's script to its interpreter)."""
    import re

    first = command[0] if command else ""
    return first if re.match(r"^python[0-9.]*$", first.rsplit("/", 1)[-1]) else "python3"


def parse(stdout: bytes | str) -> dict[str, Any] | None:
    """The probe's JSON document (the last JSON line of its output), cleaned, or None."""
    text = stdout.decode("utf-8", "replace") if isinstance(stdout, bytes) else stdout
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                doc = bounded_loads(line)
            except ValueError:
                return None
            return clean(doc) if isinstance(doc, dict) else None
    return None


_MAX_ITEMS = 5000
_MAX_TEXT = 2000


def _text(value: Any) -> str | None:
    return value[:_MAX_TEXT] if isinstance(value, str) else None


def _strings(value: Any) -> list[str]:
    return [x[:_MAX_TEXT] for x in value[:_MAX_ITEMS] if isinstance(x, str)] if isinstance(value, list) else []


def _scalars(value: Any) -> dict[str, Any]:
    """A flat section: string keys, scalar values (str, int, float, bool, None, or a list of strings)."""
    out: dict[str, Any] = {}
    if not isinstance(value, Mapping):
        return out
    for k, v in list(value.items())[:_MAX_ITEMS]:
        if not isinstance(k, str):
            continue
        if isinstance(v, str):
            out[k] = v[:_MAX_TEXT]
        elif v is None or isinstance(v, bool | int | float):
            out[k] = v
        elif isinstance(v, list):
            out[k] = [x[:_MAX_TEXT] for x in v[:_MAX_ITEMS] if isinstance(x, str)]
    return out


def _bounded(value: Any, depth: int) -> Any:
    """Plain JSON of limited depth, size and string length (``facts`` comes from the image's stdout)."""
    if isinstance(value, str):
        return value[:_MAX_TEXT]
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth <= 0:
        return None
    if isinstance(value, list):
        return [_bounded(x, depth - 1) for x in value[:_MAX_ITEMS]]
    if isinstance(value, Mapping):
        return {str(k)[:_MAX_TEXT]: _bounded(v, depth - 1) for k, v in list(value.items())[:_MAX_ITEMS]}
    return None


def clean(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Keep only the record's known keys with the types readers expect: a record comes from a file the user
    may have edited, or from the stdout of an image, which is not to be trusted."""
    out: dict[str, Any] = {}
    for key in (
        "interpreter",
        "markers",
        "platform",
        "timezone",
        "locale",
        "locale_in_effect",
        "hashseed",
        "environment",
    ):
        if key in doc:
            out[key] = _scalars(doc[key])
    dists = doc.get("distributions")
    if isinstance(dists, Mapping):
        out["distributions"] = {
            str(name): {
                "version": _text(info.get("version")) or "",
                "installer": _text(info.get("installer")) or "",
                "requires": _strings(info.get("requires")),
                "modules": _strings(info.get("modules")),
                "name": _text(info.get("name")) or str(name),
                "location": _text(info.get("location")) or "",
                "direct_url": bool(info.get("direct_url", False)),
            }
            for name, info in list(dists.items())[:_MAX_ITEMS]
            if isinstance(name, str) and isinstance(info, Mapping)
        }
    shadowed = doc.get("shadowed")
    if isinstance(shadowed, list):
        out["shadowed"] = [_scalars(x) for x in shadowed[:_MAX_ITEMS] if isinstance(x, Mapping)]
    packages = doc.get("packages")
    if isinstance(packages, Mapping):
        out["packages"] = {str(k): _text(v) for k, v in list(packages.items())[:_MAX_ITEMS]}
    found = doc.get("found")
    if isinstance(found, Mapping):
        out["found"] = {str(k): _strings(v) for k, v in list(found.items())[:_MAX_ITEMS]}
    if "facts" in doc:
        out["facts"] = _bounded(doc["facts"], 5)
    determinism = doc.get("determinism")
    if isinstance(determinism, Mapping):
        moving = determinism.get("moving")
        out["determinism"] = {
            "runs": determinism.get("runs") if isinstance(determinism.get("runs"), int) else 1,
            "deterministic": bool(determinism.get("deterministic", True)),
            "moving": [m for m in moving if isinstance(m, str)] if isinstance(moving, list) else [],
        }
    if "ml" in doc:
        out["ml"] = clean_ml(doc["ml"])
    for key in ("cwd", "schema", "error"):
        if isinstance(doc.get(key), str):
            out[key] = doc[key][:_MAX_TEXT]
    for key in ("command", "recorded", "python", "machine"):
        if key in doc:
            out[key] = doc[key] if isinstance(doc[key], str | list | dict) else None
    return out


def load_record(path: Any) -> dict[str, Any] | None:
    """A record file next to a golden output, cleaned (None when absent, too big or not JSON)."""
    from pathlib import Path

    p = Path(path)
    try:
        if not p.is_file() or p.stat().st_size > 16 * 1024 * 1024:
            return None
        doc = bounded_loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return clean(doc) if isinstance(doc, dict) else None


def packages(record: Mapping[str, Any]) -> dict[str, str]:
    """name -> version of every distribution the record saw (old records: only the lock's names)."""
    dists = record.get("distributions")
    if isinstance(dists, Mapping) and dists:
        return {str(k): str(v.get("version", "")) for k, v in dists.items() if isinstance(v, Mapping)}
    raw = record.get("packages")
    return {str(k): str(v) for k, v in raw.items() if v} if isinstance(raw, Mapping) else {}


def relative_cwd(cwd: str, root: str) -> str:
    """The probe's working directory relative to the project root ("." at the root, else the absolute path)."""
    import posixpath

    cwd_n, root_n = posixpath.normpath(cwd), posixpath.normpath(root)
    if cwd_n == root_n:
        return "."
    if cwd_n.startswith(root_n.rstrip("/") + "/"):
        return posixpath.relpath(cwd_n, root_n)
    return cwd_n
