"""What the ML rules share: the base image as the knowledge tables know it, CUDA read from tags, labels
and index URLs, and version comparison. Tables are read only after a cheap ``mentions`` prefilter."""

from __future__ import annotations

import re
from typing import Any

from reprocheck.model.dockerfile import ImageRef
from reprocheck.model.ml import MlPackage, MlProject, MlStage

ROOT_USERS = ("root", "0")


class BaseFacts:
    """A base image as the tables know it. ``family``: debian | alpine | rhel, None when the tables do not know
    the base; ``cuda``/``cudnn`` None when it has none or they are unknown. (A plain class: a dataclass or a
    NamedTuple costs more to define than the whole check costs to run.)"""

    __slots__ = ("compiler", "cuda", "cudnn", "devel", "family", "is_cuda", "ships")

    def __init__(
        self,
        family: str | None,
        ships: frozenset[str],
        compiler: bool | None,
        cuda: str | None = None,
        cudnn: str | None = None,
        devel: bool = False,
        is_cuda: bool = False,
    ) -> None:
        self.family, self.ships, self.compiler = family, ships, compiler
        self.cuda, self.cudnn, self.devel, self.is_cuda = cuda, cudnn, devel, is_cuda


def _short(repository: str, registry: str | None) -> str:
    name = f"{registry}/{repository}" if registry and registry not in ("docker.io", "index.docker.io") else repository
    return name.removeprefix("library/")


def base_facts(image: ImageRef) -> BaseFacts:
    name = _short(image.repository, image.registry)
    tag = image.tag or "latest"
    cuda = cudnn = None
    devel = is_cuda = False
    m = re.fullmatch(r"(\d+\.\d+)(?:\.\d+)?-(?:cudnn(\d*)-)?(base|runtime|devel)-(\w+?)[\d.]*", tag)
    if name in ("nvidia/cuda", "nvcr.io/nvidia/cuda") and m:
        cuda, cudnn, devel, is_cuda = m.group(1), m.group(2) or None, m.group(3) == "devel", True
    m2 = re.fullmatch(r"[\d.]+-cuda(\d+\.\d+)-cudnn(\d+)-(runtime|devel)", tag)
    if name.endswith("pytorch/pytorch") and m2:
        cuda, cudnn, devel, is_cuda = m2.group(1), m2.group(2), m2.group(3) == "devel", True
    if name == "nvcr.io/nvidia/pytorch":  # NGC PyTorch images hold the full toolkit, nvcc included
        devel = is_cuda = True
    row = _row(name, tag) if (name in _KNOWN_NAMES or name.startswith("nvcr.io/")) else None
    if row is None:
        return BaseFacts(None, frozenset(), None, cuda, cudnn, devel, is_cuda)
    if row.get("cuda"):
        cuda, cudnn, devel, is_cuda = (
            str(row["cuda"]),
            str(row.get("cudnn") or "") or None,
            bool(row.get("devel")),
            True,
        )
    if name == "tensorflow/tensorflow" and "gpu" in tag:
        is_cuda = True
    compiler = bool(row.get("compiler")) if "compiler" in row else None
    if devel:
        compiler = None  # a devel image may or may not hold g++: not judged
    return BaseFacts(str(row["family"]), frozenset(row.get("ships", ())), compiler, cuda, cudnn, devel, is_cuda)


_KNOWN_NAMES = frozenset({"python", "debian", "ubuntu", "nvidia/cuda", "tensorflow/tensorflow"})


def _row(name: str, tag: str) -> dict[str, Any] | None:
    from reprocheck.knowledge import table

    for row in table("base_images"):
        if row.get("repository") == name and re.fullmatch(str(row.get("tag", ".*")), tag):
            return row
    return None


def is_root(user: str | None) -> bool:
    return user is None or user.strip() in ROOT_USERS or user.strip().startswith("root")


def cuda_of_label(label: str) -> str | None:
    """``cu121`` -> ``12.1``; ``cpu`` -> ``cpu``; anything else None."""
    if label == "cpu":
        return "cpu"
    m = re.fullmatch(r"cu(\d{2,3})", label)
    if not m:
        return None
    digits = m.group(1)
    return f"{digits[:-1]}.{digits[-1]}"


def cuda_of_index(url: str) -> str | None:
    m = re.search(r"/whl/(?:nightly/)?(cu\d{2,3}|cpu)\b", url)
    return cuda_of_label(m.group(1)) if m else None


def version_tuple(v: str) -> tuple[int, ...]:
    out: list[int] = []
    for part in v.split("."):
        m = re.match(r"\d+", part)
        if not m:
            break
        out.append(int(m.group()))
    return tuple(out)


def major_minor(v: str) -> tuple[int, ...]:
    return version_tuple(v)[:2]


def image_versions(ml: MlProject) -> dict[str, MlPackage]:
    """Distribution -> its entry in the final image (the last install wins)."""
    return ml.versions


def ambiguous(ml: MlProject, name: str) -> bool:
    """One lock holds several builds of ``name`` (uv's conflicting extras: +cu128, +rocm6.4, +cpu): which one an
    install takes depends on extras the lock does not record; the CUDA rules do not guess."""
    seen: dict[str, set[tuple[str, str]]] = {}
    for p in ml.image_packages():
        if p.name == name and p.path != ml.project.dockerfile.path:
            seen.setdefault(p.path, set()).add((p.version, p.variant))
    return any(len(v) > 1 for v in seen.values())


def stage(ml: MlProject, index: int) -> MlStage | None:
    return next((s for s in ml.stages if s.index == index), None)


def where(p: MlPackage) -> str:
    """``torch 2.3.1+cu121 (requirements.txt:4)``"""
    label = f"+{p.variant}" if p.variant and p.variant != "url" else ""
    version = f" {p.version}{label}" if p.version else ""
    return f"{p.name}{version} ({p.path}:{p.line})"
