"""The ML part of the environment record (``out["ml"]``), gathered on both sides by the same probe.

``ML_FACTS`` is appended to the probe (reprocheck/envprobe.py) and runs after it, under the same interpreter
(3.8+, standard library only), with ``metadata`` and ``out`` in scope. It never imports a framework unless
``REPROCHECK_PROBE_ML_IMPORT=1`` (verify sets it in its sandbox), and then only in a child process with a time
limit. What it writes:

- ``frameworks``: the build facts of torch (``torch/version.py``: version, CUDA, HIP; cuDNN from the bundled
  library's name or the ``nvidia-cudnn-*`` wheel; the compiled arch list only with an import), TensorFlow
  (``tensorflow/python/platform/build_info.py``), onnxruntime (``capi/build_and_package_info.py`` and the
  provider libraries shipped), and the ``nvidia-*-cuNN`` wheels installed;
- ``import_owners``: each top-level import package -> the distributions whose RECORD installs files into it;
- ``unresolved``: each shared library an extension module needs (ELF ``DT_NEEDED``) that the dynamic loader
  would not find (RPATH/RUNPATH with ``$ORIGIN``, ``LD_LIBRARY_PATH``, ld.so.conf, the default directories),
  with the file and the distribution that installed it; ``scanned`` counts the objects read;
- ``lfs_pointers``: Git LFS pointer files under the working directory (the copied project);
- ``gpu``: the GPU model, driver and CUDA version (``nvidia-smi``), when there is one.

Everything is bounded (files, bytes, seconds) and read without executing anything from the files. ``clean_ml``
is the pure part: the section as the readers may trust it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ML_FACTS = r"""
def _ml_facts():
    import ast, struct, subprocess
    ml = {"frameworks": {}, "import_owners": {}, "unresolved": [], "scanned": 0, "truncated": False,
          "lfs_pointers": [], "errors": []}
    started = time.time()
    budget = 20.0
    by_name = {}
    real_names = {}
    if metadata is not None:
        for dist in metadata.distributions():
            head = (dist.read_text("METADATA") or dist.read_text("PKG-INFO") or "")[:4096]
            m = re.search(r"^Name:\s*(\S+)", head, re.M)
            if m:
                key = re.sub(r"[-_.]+", "-", m.group(1)).lower()
                if key not in by_name:
                    by_name[key] = dist
                    real_names[key] = m.group(1)

    def read_small(path, limit=1 << 20):
        if not path or not os.path.isfile(path):  # a FIFO or a device would block the probe
            return None
        try:
            with open(path, "rb") as fh:
                return fh.read(limit).decode("utf-8", "replace")
        except OSError:
            return None

    def assignments(text):
        found = {}
        for line in (text or "").splitlines():
            m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\s*:[^=]+)?\s*=\s*(.+?)\s*$", line)
            if not m:
                m = re.match(r"^build_info\[['\"]([A-Za-z0-9_]+)['\"]\]\s*=\s*(.+?)\s*$", line)
            if m:
                try:
                    found[m.group(1)] = ast.literal_eval(m.group(2))
                except Exception:
                    pass
        return found

    def locate(dist, rel):
        try:
            return os.path.join(str(dist.locate_file("")), rel)
        except Exception:
            return ""

    cuda_wheels = {}
    for key, dist in by_name.items():
        if key.startswith("nvidia-") and re.search(r"-cu\d+$", key):
            cuda_wheels[key] = dist.version
    if cuda_wheels:
        ml["frameworks"]["nvidia_wheels"] = dict(sorted(cuda_wheels.items()))
    torch = by_name.get("torch")
    if torch is not None:
        facts = {"version": torch.version, "cuda": None, "hip": None, "cudnn": None}
        v = assignments(read_small(locate(torch, "torch/version.py")))
        for k in ("__version__", "cuda", "hip", "git_version", "debug"):
            if k in v and (v[k] is None or isinstance(v[k], (str, bool))):
                facts["version" if k == "__version__" else k] = v[k]
        libdir = locate(torch, "torch/lib")
        try:
            names = sorted(os.listdir(libdir)) if libdir else []
        except OSError:
            names = []
        for n in names:
            m = re.match(r"^libcudnn\.so\.(\d+(?:\.\d+)*)$", n)
            if m:
                facts["cudnn"] = m.group(1)
        wheel = [k for k in cuda_wheels if k.startswith("nvidia-cudnn-")]
        if facts["cudnn"] is None and wheel:
            facts["cudnn"] = cuda_wheels[wheel[0]]
        facts["cuda_libraries"] = [n for n in names if n.startswith("libtorch_cuda")][:5]
        ml["frameworks"]["torch"] = facts
    for key in ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-intel", "tf-nightly"):
        tf = by_name.get(key)
        if tf is not None:
            text = read_small(locate(tf, "tensorflow/python/platform/build_info.py")) or ""
            info = assignments(text)
            whole = re.search(r"^build_info\s*=\s*(\{.*\})\s*$", text, re.M | re.S)
            if whole:  # one dict literal, possibly over several lines
                try:
                    info = ast.literal_eval(whole.group(1))
                except Exception:
                    pass
            if isinstance(info.get("build_info"), dict):
                info = info["build_info"]
            keep = dict((k, v) for k, v in info.items() if isinstance(v, (str, bool, int)) and k != "__future__")
            ml["frameworks"]["tensorflow"] = {"distribution": key, "version": tf.version, "build_info": keep}
            break
    for key in ("onnxruntime", "onnxruntime-gpu", "onnxruntime-directml", "onnxruntime-openvino"):
        ort = by_name.get(key)
        if ort is None:
            continue
        info = assignments(read_small(locate(ort, "onnxruntime/capi/build_and_package_info.py")))
        capi = locate(ort, "onnxruntime/capi")
        try:
            libs = os.listdir(capi) if capi else []
        except OSError:
            libs = []
        providers = ["CPUExecutionProvider"]
        for lib in sorted(libs):
            m = re.match(r"^libonnxruntime_providers_([a-z_]+)\.so$", lib)
            if m and m.group(1) != "shared":
                word = {"cuda": "CUDA", "tensorrt": "Tensorrt", "rocm": "ROCM", "migraphx": "MIGraphX",
                        "openvino": "OpenVINO", "dnnl": "DNNL", "vitisai": "VitisAI"}.get(m.group(1), m.group(1))
                providers.append(word + "ExecutionProvider")
        facts = {"distribution": key, "version": ort.version, "providers_shipped": providers}
        for k in ("package_name", "cuda_version", "cudnn_version"):
            if isinstance(info.get(k), str):
                facts[k] = info[k]
        ml["frameworks"].setdefault("onnxruntime", facts)

    # import packages -> distributions, and the shared objects each distribution installed
    owners = {}
    objects = []
    file_owners = {}
    libs_dirs = {}
    for key, dist in sorted(by_name.items()):
        files = []
        for line in (dist.read_text("RECORD") or "").splitlines():
            cell = line.split(",", 1)[0].strip().strip('"')
            if cell:
                files.append(cell)
        tops = set()
        for f in files:
            where = f.replace("\\", "/")
            if not where.startswith("..") and ".dist-info/" not in where and "__pycache__" not in where:
                claims = file_owners.setdefault(where, [])
                if key not in claims:
                    claims.append(key)
            parts = where.split("/")
            if not parts or parts[0] in ("..", "") or parts[0].endswith((".dist-info", ".egg-info", ".data")):
                continue
            if parts[0] == "__pycache__":
                continue
            if len(parts) == 1:
                if parts[0].endswith(".py"):
                    tops.add(parts[0][:-3])
                elif re.search(r"\.(so|pyd)$", parts[0]):
                    tops.add(parts[0].split(".")[0])
            elif not parts[0].endswith(".libs"):
                tops.add(parts[0])
            if re.search(r"\.so(\.\d+)*$", parts[-1]) and len(objects) < 5000:
                objects.append((key, where, locate(dist, where)))
                if len(parts) > 1:
                    # auditwheel's vendored libraries (<name>.libs/) are loaded by soname once one has been
                    libs_dirs.setdefault(key, set()).add(os.path.dirname(locate(dist, where)))
        for t in tops:
            owners.setdefault(t, []).append(real_names[key])
    ml["import_owners"] = dict((k, sorted(v)) for k, v in sorted(owners.items()))
    # the same file installed by two distributions: the last one installed wins (namespace packages share a
    # directory, not files, and are not counted)
    shared = {}
    for where, claims in file_owners.items():
        if len(claims) > 1:
            top = where.split("/", 1)[0]
            entry = shared.setdefault(top, {"distributions": [], "files": 0, "example": where})
            entry["files"] += 1
            entry["distributions"] = sorted(set(entry["distributions"]) | set(claims))
    ml["shared_files"] = dict(sorted(shared.items())[:200])

    def ld_dirs():
        dirs = []
        def conf(path, depth):
            text = read_small(path, 65536)
            for line in (text or "").splitlines():
                line = line.split("#", 1)[0].strip()
                if line.startswith("include ") and depth < 3:
                    import glob
                    pattern = line.split(None, 1)[1]
                    if not pattern.startswith("/"):
                        pattern = os.path.join(os.path.dirname(path), pattern)
                    for p in sorted(glob.glob(pattern)):
                        conf(p, depth + 1)
                elif line.startswith("/"):
                    dirs.append(line)
        conf("/etc/ld.so.conf", 0)
        return dirs + ["/lib", "/usr/lib", "/lib64", "/usr/lib64"]

    system = ld_dirs()
    env_dirs = [d for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") if d]

    def dynamic(path):
        # (needed names, rpath list, runpath list) of an ELF shared object, read without running it
        if not os.path.isfile(path):
            return None
        with open(path, "rb") as fh:
            head = fh.read(64)
            if head[:4] != b"\x7fELF":
                return None
            bits, order = head[4], "<" if head[5] == 1 else ">"
            if bits == 2:
                phoff = struct.unpack(order + "Q", head[32:40])[0]
                phentsize, phnum = struct.unpack(order + "HH", head[54:58])
                pfmt, dfmt = order + "IIQQQQQQ", order + "qQ"
            else:
                phoff = struct.unpack(order + "I", head[28:32])[0]
                phentsize, phnum = struct.unpack(order + "HH", head[42:46])
                pfmt, dfmt = order + "IIIIIIII", order + "iI"
            if phnum > 512:
                return None
            fh.seek(phoff)
            table = fh.read(phentsize * phnum)
            loads, dyn = [], None
            for i in range(phnum):
                raw = table[i * phentsize:(i + 1) * phentsize]
                if len(raw) < struct.calcsize(pfmt):
                    break
                p = struct.unpack(pfmt, raw[:struct.calcsize(pfmt)])
                if bits == 2:
                    ptype, off, vaddr, filesz = p[0], p[2], p[3], p[5]
                else:
                    ptype, off, vaddr, filesz = p[0], p[1], p[2], p[4]
                if ptype == 1:
                    loads.append((vaddr, off, filesz))
                elif ptype == 2:
                    dyn = (off, filesz)
            if dyn is None:
                return [], [], []
            fh.seek(dyn[0])
            data = fh.read(min(dyn[1], 1 << 16))
            size = struct.calcsize(dfmt)
            entries = [struct.unpack(dfmt, data[i:i + size]) for i in range(0, len(data) - size + 1, size)]
            strtab = strsz = None
            for tag, val in entries:
                if tag == 5:
                    strtab = val
                elif tag == 10:
                    strsz = val
                elif tag == 0:
                    break
            if strtab is None:
                return [], [], []
            base = None
            for vaddr, off, filesz in loads:
                if vaddr <= strtab < vaddr + filesz:
                    base = strtab - vaddr + off
            if base is None:
                return [], [], []
            fh.seek(base)
            strings = fh.read(min(strsz or 65536, 1 << 20))

            def s(i):
                end = strings.find(b"\0", i)
                return strings[i:end if end >= 0 else len(strings)].decode("utf-8", "replace")
            needed, rpath, runpath = [], [], []
            for tag, val in entries:
                if tag == 0:
                    break
                if tag == 1:
                    needed.append(s(val))
                elif tag == 15:
                    rpath += s(val).split(":")
                elif tag == 29:
                    runpath += s(val).split(":")
            return needed, rpath, runpath

    def expand(dirs, origin):
        return [d.replace("$ORIGIN", origin).replace("${ORIGIN}", origin) for d in dirs if d]

    present = {}

    def exists(d, name):
        key = (d, name)
        if key not in present:
            present[key] = os.path.exists(os.path.join(d, name))
        return present[key]

    for owner, rel, path in objects:
        if time.time() - started > budget:
            ml["truncated"] = True
            break
        try:
            found = dynamic(path)
        except (OSError, struct.error, ValueError, IndexError):
            continue
        if found is None:
            continue
        ml["scanned"] += 1
        needed, rpath, runpath = found
        origin = os.path.dirname(path)
        search = (expand(rpath, origin) if not runpath else []) + env_dirs + expand(runpath, origin) + system
        search += sorted(d for d in libs_dirs.get(owner, ()) if d.endswith(".libs") or d == origin)
        for lib in needed:
            if "/" in lib:
                ok = os.path.exists(lib)
            else:
                ok = any(exists(d, lib) for d in search)
            if not ok and len(ml["unresolved"]) < 500:
                ml["unresolved"].append({"file": rel, "library": lib, "distribution": owner})

    # Git LFS pointers under the working directory (what the Dockerfile copied, on the image's side)
    root = os.getcwd()
    if root != "/":
        queue, seen = [(root, 0)], 0
        skip = ("site-packages", "dist-packages", "__pycache__", "node_modules", ".git", ".venv", "venv", "proc")
        while queue and seen < 20000 and time.time() - started < budget + 5:
            d, depth = queue.pop(0)
            try:
                entries = list(os.scandir(d))
            except OSError:
                continue
            for entry in entries:
                seen += 1
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if depth < 8 and entry.name not in skip:
                            queue.append((entry.path, depth + 1))
                    elif entry.is_file(follow_symlinks=False) and entry.stat().st_size < 1024:
                        with open(entry.path, "rb") as fh:
                            head = fh.read(1024)
                        if head.startswith(b"version https://git-lfs.github.com/spec/"):
                            text = head.decode("utf-8", "replace")
                            oid = re.search(r"^oid (\S+)", text, re.M)
                            size = re.search(r"^size (\d+)", text, re.M)
                            if len(ml["lfs_pointers"]) < 100:
                                ml["lfs_pointers"].append({"path": entry.path, "oid": oid.group(1) if oid else "",
                                                           "size": int(size.group(1)) if size else 0})
                except OSError:
                    pass

    # GPU: model, driver and CUDA of this machine, when it has one
    smi = which("nvidia-smi")
    if smi:
        try:
            ran = subprocess.run([smi, "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=15)
            devices = []
            for line in ran.stdout.decode("utf-8", "replace").splitlines()[:16]:
                cells = [c.strip() for c in line.split(",")]
                if len(cells) >= 2 and ran.returncode == 0:
                    devices.append({"name": cells[0], "driver": cells[1],
                                    "memory": cells[2] if len(cells) > 2 else ""})
            head = subprocess.run([smi], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=15)
            cuda = re.search(r"CUDA Version:\s*([0-9.]+)", head.stdout.decode("utf-8", "replace"))
            ml["gpu"] = {"devices": devices, "driver": devices[0]["driver"] if devices else None,
                         "cuda": cuda.group(1) if cuda else None,
                         "error": None if ran.returncode == 0 else ran.stderr.decode("utf-8", "replace")[:300]}
        except (OSError, subprocess.SubprocessError) as exc:
            ml["gpu"] = {"devices": [], "driver": None, "cuda": None, "error": str(exc)[:300]}
    elif os.path.exists("/proc/driver/nvidia/version"):
        text = read_small("/proc/driver/nvidia/version", 4096) or ""
        m = re.search(r"Kernel Module\s+([0-9.]+)", text)
        ml["gpu"] = {"devices": [], "driver": m.group(1) if m else None, "cuda": None, "error": None}

    # what only an import tells (the compiled CUDA arch list, cuDNN's version), in a bounded child process
    if os.environ.get("REPROCHECK_PROBE_ML_IMPORT") == "1" and torch is not None:
        code = ("import json, torch; c = getattr(torch._C, '_cuda_getArchFlags', None); "
                "print(json.dumps({'arch_list': (c() or '').split() if c else [], "
                "'cudnn_version': torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None}))")
        try:
            ran = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 timeout=45)
            if ran.returncode == 0:
                got = json.loads(ran.stdout.decode("utf-8", "replace").strip().splitlines()[-1])
                ml["frameworks"]["torch"]["arch_list"] = got.get("arch_list") or []
                if got.get("cudnn_version"):
                    ml["frameworks"]["torch"]["cudnn"] = str(got["cudnn_version"])
            else:
                tail = ran.stderr.decode("utf-8", "replace").strip().splitlines()
                ml["errors"].append("import torch: " + (tail[-1] if tail else "exit %d" % ran.returncode)[:300])
        except (OSError, ValueError, IndexError, subprocess.SubprocessError) as exc:
            ml["errors"].append("import torch: " + str(exc)[:300])
    return ml

try:
    out["ml"] = _ml_facts()
except Exception as exc:
    out["ml"] = {"errors": ["the ML probe failed: %s" % (str(exc)[:300],)]}
"""

_MAX = 500
_TEXT = 500


def _s(value: Any) -> str | None:
    return value[:_TEXT] if isinstance(value, str) else None


def _flat(value: Any) -> dict[str, Any]:
    """String keys, scalar values (and lists of strings), bounded."""
    out: dict[str, Any] = {}
    if not isinstance(value, Mapping):
        return out
    for k, v in list(value.items())[:_MAX]:
        if not isinstance(k, str):
            continue
        if isinstance(v, str):
            out[k] = v[:_TEXT]
        elif v is None or isinstance(v, bool | int | float):
            out[k] = v
        elif isinstance(v, list):
            out[k] = [x[:_TEXT] for x in v[:_MAX] if isinstance(x, str)]
    return out


def _rows(value: Any, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    rows = []
    for item in value[:_MAX]:
        if isinstance(item, Mapping):
            row = _flat({k: item.get(k) for k in keys})
            rows.append(row)
    return rows


def clean_ml(value: Any) -> dict[str, Any]:
    """The ``ml`` section with the shapes readers expect (it comes from an image's stdout or a user's file)."""
    if not isinstance(value, Mapping):
        return {}
    out: dict[str, Any] = {}
    fw = value.get("frameworks")
    if isinstance(fw, Mapping):
        frameworks: dict[str, Any] = {}
        for name, facts in list(fw.items())[:20]:
            if isinstance(name, str) and isinstance(facts, Mapping):
                kept = _flat(facts)
                if isinstance(facts.get("build_info"), Mapping):
                    kept["build_info"] = _flat(facts["build_info"])
                frameworks[name] = kept
        out["frameworks"] = frameworks
    owners = value.get("import_owners")
    if isinstance(owners, Mapping):
        out["import_owners"] = {
            k: [x[:_TEXT] for x in v[:20] if isinstance(x, str)]
            for k, v in list(owners.items())[:5000]
            if isinstance(k, str) and isinstance(v, list)
        }
    shared = value.get("shared_files")
    if isinstance(shared, Mapping):
        out["shared_files"] = {
            k: {**_flat(v), "distributions": [x[:_TEXT] for x in v.get("distributions", [])[:20] if isinstance(x, str)]}
            for k, v in list(shared.items())[:_MAX]
            if isinstance(k, str) and isinstance(v, Mapping) and isinstance(v.get("distributions", []), list)
        }
    out["unresolved"] = _rows(value.get("unresolved"), ("file", "library", "distribution"))
    out["lfs_pointers"] = _rows(value.get("lfs_pointers"), ("path", "oid", "size"))
    for key in ("scanned",):
        if isinstance(value.get(key), int):
            out[key] = value[key]
    out["truncated"] = bool(value.get("truncated", False))
    errors = value.get("errors")
    out["errors"] = [e[:_TEXT] for e in errors[:20] if isinstance(e, str)] if isinstance(errors, list) else []
    gpu = value.get("gpu")
    if isinstance(gpu, Mapping):
        out["gpu"] = {**_flat(gpu), "devices": _rows(gpu.get("devices"), ("name", "driver", "memory"))}
    return out
