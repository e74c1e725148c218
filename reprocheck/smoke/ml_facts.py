"""The ML part of a smoke diagnosis: the frameworks' build facts and the GPU of both sides, compared
("torch 2.3.1+cu121 on the host, 2.3.1+cpu in the image"). Pure: the two environment records' ``ml`` sections
(reprocheck/ml_probe.py) in, evidence lines out; ``with_ml_facts`` adds them to a diagnosis."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from reprocheck.smoke.diagnose import Diagnosis

# causes the ML facts may name more precisely (nothing more specific was found)
_VAGUE = ("values differ", "package versions differ")


def _ml(record: Mapping[str, Any] | None) -> Mapping[str, Any]:
    ml = record.get("ml") if isinstance(record, Mapping) else None
    return ml if isinstance(ml, Mapping) else {}


def _fw(record: Mapping[str, Any] | None, name: str) -> Mapping[str, Any]:
    fw = _ml(record).get("frameworks")
    got = fw.get(name) if isinstance(fw, Mapping) else None
    return got if isinstance(got, Mapping) else {}


def _text(value: Any, absent: str = "none") -> str:
    if value is None or value == "" or value == []:
        return absent
    return " ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _pairs(host: Mapping[str, Any] | None, image: Mapping[str, Any] | None) -> list[tuple[str, str, str]]:
    """(what, host's value, image's value) for each ML fact that differs (both records have the section)."""
    out: list[tuple[str, str, str]] = []
    checks: list[tuple[str, str, str]] = [
        ("torch", "version", "torch"),
        ("torch", "cuda", "torch's CUDA"),
        ("torch", "cudnn", "torch's cuDNN"),
        ("torch", "hip", "torch's HIP"),
        ("torch", "arch_list", "torch's compiled GPU architectures"),
        ("tensorflow", "version", "tensorflow"),
        ("onnxruntime", "version", "onnxruntime"),
        ("onnxruntime", "distribution", "onnxruntime's distribution"),
        ("onnxruntime", "providers_shipped", "onnxruntime's providers"),
    ]
    for name, key, label in checks:
        a, b = _fw(host, name), _fw(image, name)
        if not a and not b:
            continue
        if key == "arch_list" and (key not in a or key not in b):
            continue  # only an import tells, and one side did not import
        va = _text(a.get(key), "absent" if not a else "none")
        vb = _text(b.get(key), "absent" if not b else "none")
        if va != vb:
            out.append((label, va, vb))
    ta, tb = _fw(host, "tensorflow"), _fw(image, "tensorflow")
    if ta and tb:
        ia, ib = ta.get("build_info") or {}, tb.get("build_info") or {}
        ca = ia.get("cuda_version") if ia.get("is_cuda_build") else None
        cb = ib.get("cuda_version") if ib.get("is_cuda_build") else None
        if ca != cb:
            out.append(("tensorflow's CUDA", _text(ca), _text(cb)))
    return out


def _gpu_text(record: Mapping[str, Any] | None) -> str:
    gpu = _ml(record).get("gpu")
    if not isinstance(gpu, Mapping):
        return "no GPU"
    devices = [d for d in gpu.get("devices") or () if isinstance(d, Mapping)]
    names = ", ".join(sorted({str(d.get("name")) for d in devices})) or "a GPU"
    parts = [f"driver {gpu['driver']}" if gpu.get("driver") else "", f"CUDA {gpu['cuda']}" if gpu.get("cuda") else ""]
    extra = ", ".join(p for p in parts if p)
    return f"{len(devices) or 1} x {names}" + (f" ({extra})" if extra else "")


def ml_differences(host: Mapping[str, Any] | None, image: Mapping[str, Any] | None) -> list[str]:
    """Evidence lines: each framework build fact and the GPU where the two sides differ."""
    if not _ml(host) or not _ml(image):
        return []
    lines = [f"{label}: {a} on the host, {b} in the image" for label, a, b in _pairs(host, image)]
    ga, gb = _gpu_text(host), _gpu_text(image)
    if ga != gb:
        lines.append(f"GPU: {ga} on the host, {gb} in the image")
    return lines


def library_owners(library: str, image: Mapping[str, Any] | None) -> tuple[list[str], list[str]]:
    """(distributions, files) of the image whose shared objects need ``library`` and do not find it."""
    dists: list[str] = []
    files: list[str] = []
    for row in _ml(image).get("unresolved") or ():
        if isinstance(row, Mapping) and row.get("library") == library:
            if row.get("distribution") and row["distribution"] not in dists:
                dists.append(str(row["distribution"]))
            files.append(str(row.get("file", "")))
    return dists, files


def _missing_library(d: Diagnosis, image: Mapping[str, Any] | None) -> Diagnosis:
    """A crash on a missing shared library: which distribution needs it (the image's ML scan)."""
    subject = d.details.get("subject")
    if not isinstance(subject, str) or not d.cause.startswith("shared library missing"):
        return d
    dists, files = library_owners(subject, image)
    if not dists:
        return d
    from reprocheck.knowledge import system_package

    package = system_package(subject, "debian")
    line = (
        f"{subject} is needed by {', '.join(dists)} ({', '.join(files[:2])}) and is in no directory the loader searches"
    )
    hint = f"install {package} (pinned) in the final stage" if package else d.hint
    if any(x.startswith("opencv-") and not x.endswith("-headless") for x in dists):
        hint += "; or use opencv-python-headless, which needs no libGL"
    return replace(
        d,
        cause=f"shared library missing: {subject} (needed by {', '.join(dists)})",
        hint=hint,
        evidence=(line, *d.evidence),
        details={**d.details, "needed_by": dists},
    )


def with_ml_facts(d: Diagnosis, host: Mapping[str, Any] | None, image: Mapping[str, Any] | None) -> Diagnosis:
    """The diagnosis with the ML differences as evidence (and as its cause when nothing more specific was
    found and a framework's build differs); a missing shared library named with the distribution that needs it."""
    d = _missing_library(d, image)
    lines = ml_differences(host, image)
    if not lines:
        return d
    cause = d.cause
    framework = [ln for ln in lines if not ln.startswith("GPU:")]
    if cause in _VAGUE and framework:
        cause = "ML framework build differs (" + framework[0].split(":", 1)[0] + ")"
    evidence = (*lines, *(e for e in d.evidence if e not in lines))
    return replace(d, cause=cause, evidence=evidence, details={**d.details, "ml": lines})
