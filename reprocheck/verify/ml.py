"""The ML checks of verify, over the ``ml`` section the probe wrote in the image (reprocheck/ml_probe.py): shared
libraries the loader would not find (ML801), two distributions writing one import package (ML802), Git LFS
pointers among the copied files (ML803), and the frameworks' build facts as notes. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from reprocheck.model.finding import Finding
from reprocheck.model.location import Location
from reprocheck.model.names import canonical
from reprocheck.rules.runtime import ML_LFS_POINTER, ML_SHARED_IMPORT_PACKAGE, ML_UNRESOLVED_LIBRARY
from reprocheck.verify.expect import Expectation
from reprocheck.verify.probe import Inventory

# libraries the NVIDIA container runtime injects from the host's driver when a GPU is requested: missing in
# any image, and never to be installed in one
_DRIVER = re.compile(
    r"^(libcuda\.so(\.\d+)*|libnvidia-[\w.-]+\.so(\.\d+)*|libnvcuvid\.so(\.\d+)*|libcudadebugger\.so.*)$"
)
MAX_FILES_SHOWN = 3


def is_driver_library(soname: str) -> bool:
    return bool(_DRIVER.match(soname))


def _where(exp: Expectation, dist: str) -> Location:
    """The lock line of ``dist``, else the Dockerfile line that installs it, else the final FROM."""
    key = canonical(dist)
    entries = exp.entries.get(key, ())
    if entries:
        return Location(entries[0].path, max(entries[0].line, 1))
    installs = exp.pip_installs.get(key, ())
    if installs:
        return Location(installs[0].path, max(installs[0].line, 1))
    return Location(exp.dockerfile, max(exp.base_line, 1))


def _known_rank(library: str, dist: str) -> int:
    from reprocheck.knowledge import table

    for i, row in enumerate(table("system_libs")):
        if row.get("name") == library and dist in (row.get("needed_by") or ()):
            return i
    return 1_000_000


def unresolved_libraries(ml: Mapping[str, Any], exp: Expectation) -> tuple[list[Finding], list[str]]:
    """ML801: one finding per distribution, naming each library it lacks and the files that need it."""
    from reprocheck.knowledge import system_package

    needers: dict[str, dict[str, list[str]]] = {}
    drivers: set[str] = set()
    for row in ml.get("unresolved") or ():
        lib, dist, file = str(row.get("library", "")), str(row.get("distribution", "")), str(row.get("file", ""))
        if not lib:
            continue
        if is_driver_library(lib):
            drivers.add(lib)
            continue
        needers.setdefault(dist, {}).setdefault(lib, []).append(file)
    findings = []
    for dist, libs in sorted(needers.items()):
        # first the library the knowledge table says this distribution needs (what its import stops at),
        # then those most files need
        ordered = sorted(libs, key=lambda lib: (_known_rank(lib, dist), -len(libs[lib]), lib))
        first = ordered[0]
        more = len(libs[first]) - MAX_FILES_SHOWN
        shown = ", ".join(libs[first][:MAX_FILES_SHOWN]) + (f" and {more} more" if more > 0 else "")
        others = f" and {len(ordered) - 1} more librar{'y' if len(ordered) == 2 else 'ies'} ({', '.join(ordered[1:])})"
        packages = sorted({p for lib in ordered if (p := system_package(lib, "debian"))})
        hint = (
            "install the OS packages that provide them in the final stage"
            + (f" (Debian: {', '.join(packages)}; pinned)" if packages else "")
            + ", or use a build of the package that does not need them"
        )
        if dist.startswith("opencv-") and not dist.endswith("-headless"):
            hint += f" ({dist}-headless has no GUI and needs none of the GUI libraries)"
        findings.append(
            ML_UNRESOLVED_LIBRARY.finding(
                _where(exp, dist),
                f"{dist} needs {first}{others if len(ordered) > 1 else ''}, which the image does not have "
                f'(needed by {shown}): importing it fails with "{first}: cannot open shared object file: No such '
                'file or directory"',
                hint,
            )
        )
    notes = []
    if drivers:
        notes.append(
            "driver libraries not in the image, as expected (the GPU runtime brings them from the host): "
            + ", ".join(sorted(drivers))
        )
    if ml.get("truncated"):
        notes.append("the shared-library scan stopped at its time limit: some extension modules were not read")
    return findings, notes


def shared_import_packages(
    ml: Mapping[str, Any], exp: Expectation, requirers: Mapping[str, Sequence[str]] | None = None
) -> list[Finding]:
    """ML802: one finding per import package whose files two or more distributions install, naming what
    requires each of them in the image (``requirers``: distribution -> the distributions that require it)."""
    findings = []
    requirers = requirers or {}
    shared = ml.get("shared_files") or {}
    for top, info in sorted(shared.items()):
        dists = [str(d) for d in info.get("distributions") or ()]
        if len(dists) < 2:
            continue
        count = info.get("files", 0)
        pulled = [
            f"{d} is required by {', '.join(requirers[canonical(d)])}" for d in dists if requirers.get(canonical(d))
        ]
        why = f" ({'; '.join(pulled)})" if pulled else ""
        findings.append(
            ML_SHARED_IMPORT_PACKAGE.finding(
                _where(exp, dists[-1]),
                f"{' and '.join(dists)} both install the import package `{top}`{why} ({count} files in common, e.g. "
                f"{info.get('example', '?')}): the files of the last one installed win, so `import {top}` gets a "
                "mix that depends on the install order",
                "keep one of them in the lock (e.g. only opencv-python-headless, only onnxruntime-gpu); when a "
                "dependency pulls the other in, override that requirement",
            )
        )
    return findings


def lfs_pointers(ml: Mapping[str, Any], exp: Expectation) -> list[Finding]:
    """ML803: each Git LFS pointer file under the image's working directory."""
    findings = []
    for row in ml.get("lfs_pointers") or ():
        path, size = str(row.get("path", "")), row.get("size", 0)
        oid = str(row.get("oid", ""))
        findings.append(
            ML_LFS_POINTER.finding(
                Location(exp.dockerfile, max(exp.base_line, 1)),
                f"{path} in the image is a Git LFS pointer ({oid[:19]}..., {size} bytes when fetched), not the file "
                "it stands for: loading it fails (for a pickle: \"invalid load key, 'v'\")",
                "fetch the LFS objects before building (git lfs pull; actions/checkout with lfs: true), or "
                "download the file by URL with its checksum in the Dockerfile",
            )
        )
    return findings


def framework_facts(ml: Mapping[str, Any]) -> list[str]:
    """The frameworks' build facts as short phrases: "torch 2.3.1+cu121 (CUDA 12.1, cuDNN 8.9.2)"."""
    out = []
    fw = ml.get("frameworks") or {}
    torch = fw.get("torch")
    if isinstance(torch, Mapping):
        parts = [f"CUDA {torch.get('cuda')}" if torch.get("cuda") else "no CUDA"]
        if torch.get("hip"):
            parts.append(f"HIP {torch['hip']}")
        if torch.get("cudnn"):
            parts.append(f"cuDNN {torch['cudnn']}")
        if torch.get("arch_list"):
            parts.append("arch " + " ".join(torch["arch_list"]))
        out.append(f"torch {torch.get('version')} ({', '.join(parts)})")
    tf = fw.get("tensorflow")
    if isinstance(tf, Mapping):
        info = tf.get("build_info") or {}
        cuda = info.get("cuda_version") if info.get("is_cuda_build") else None
        built = f"CUDA {cuda}" if cuda else "no CUDA"
        out.append(f"{tf.get('distribution', 'tensorflow')} {tf.get('version')} ({built})")
    ort = fw.get("onnxruntime")
    if isinstance(ort, Mapping):
        providers = ", ".join(ort.get("providers_shipped") or ())
        out.append(f"{ort.get('distribution')} {ort.get('version')} (providers: {providers})")
    wheels = fw.get("nvidia_wheels")
    if isinstance(wheels, Mapping) and wheels:
        out.append("CUDA wheels: " + ", ".join(f"{k} {v}" for k, v in sorted(wheels.items())[:6]))
    return out


def requirers(inv: Inventory) -> dict[str, list[str]]:
    """Distribution (canonical name) -> the image's distributions that require it."""
    out: dict[str, list[str]] = {}
    for d in inv.dists:
        for dep in d.requires:
            out.setdefault(canonical(dep), []).append(d.name)
    return {k: sorted(v) for k, v in out.items()}


def judge_ml(
    ml: Mapping[str, Any] | None, exp: Expectation, requirers: Mapping[str, Sequence[str]] | None = None
) -> tuple[list[Finding], list[str]]:
    """Every ML finding of verify, and its notes (build facts, expected driver libraries)."""
    if not ml:
        return [], []
    findings, notes = unresolved_libraries(ml, exp)
    findings += shared_import_packages(ml, exp, requirers)
    findings += lfs_pointers(ml, exp)
    facts = framework_facts(ml)
    if facts:
        notes.insert(0, "ML build facts in the image: " + "; ".join(facts))
    return findings, notes
