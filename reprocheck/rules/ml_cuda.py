"""ML20x: the CUDA stack of an image: the base image's CUDA (read from its tag) against the framework wheels'
CUDA (their +cuXYZ label, the /whl/cuXYZ index, the lock's nvidia-cuda-runtime-cuNN pin, or the release's
PyPI default), and CUDA code compiled without a toolkit."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reprocheck.model.finding import Finding, Severity
from reprocheck.model.ml import MlPackage, MlProject
from reprocheck.rules._api import RuleContext, rule
from reprocheck.rules._ml import (
    ambiguous,
    base_facts,
    cuda_of_index,
    cuda_of_label,
    image_versions,
    major_minor,
    where,
)

TORCH_FAMILY = ("torch", "torchvision", "torchaudio")


def _runtime_pins(ml: MlProject) -> dict[str, str]:
    """Lock file -> the CUDA its nvidia-cuda-runtime-cuNN (or cuda-toolkit) pin names (``12.1``)."""
    out: dict[str, str] = {}
    for p in ml.image_packages():
        runtime = p.name.startswith("nvidia-cuda-runtime-cu") and p.name[23:].isdigit()
        if (runtime or p.name == "cuda-toolkit") and p.version:  # torch 2.11 pins cuda-toolkit==13.0.2
            out[p.path] = ".".join(p.version.split(".")[:2])
    return out


def explicit_cuda(p: MlPackage) -> tuple[str, str] | None:
    """The CUDA (or ``cpu``) a package's own label or index names, and how it is known."""
    got = cuda_of_label(p.variant)
    if got:
        return got, f"`+{p.variant}`"
    got = cuda_of_index(p.index) if p.index else None
    if got:
        return got, f"the index {p.index}"
    return None


def torch_cuda(p: MlPackage, pins: dict[str, str]) -> tuple[str, str] | None:
    got = explicit_cuda(p)
    if got or p.name != "torch" or p.variant:
        return got  # a label that names no CUDA (+rocm6.4, +xpu) is not a CUDA build
    if p.path in pins:
        return pins[p.path], f"the lock's nvidia-cuda-runtime pin ({p.path})"
    if p.index or not p.version:
        return None
    from reprocheck.knowledge import table

    best = ""
    cuda = None
    for row in table("wheel_variants"):
        v = str(row.get("version", ""))
        if (
            row.get("name") == "torch"
            and v
            and (p.version == v or p.version.startswith(v + "."))
            and len(v) > len(best)
        ):
            best, cuda = v, str(row["cuda"])
    return (cuda, f"PyPI's default for torch {best}") if cuda else None


def _shown(cuda: str) -> str:
    return "CPU" if cuda == "cpu" else f"CUDA {cuda}"


def _torch_family(ml: MlProject) -> list[MlPackage]:
    return [p for n, p in image_versions(ml).items() if n in TORCH_FAMILY]


@rule(
    "ML201",
    "cuda-wheel-mismatches-base",
    Severity.WARNING,
    "torch is built for another CUDA than the CUDA base image provides (newer, or another major)",
    on=MlProject,
)
def cuda_wheel_mismatches_base(ml: MlProject, ctx: RuleContext) -> Iterator[Finding]:
    final = ml.final
    if final is None:
        return
    torch = image_versions(ml).get("torch")
    if torch is None or ambiguous(ml, "torch"):
        return
    facts = base_facts(final.base)
    if not facts.cuda:
        return
    got = torch_cuda(torch, _runtime_pins(ml))
    if got is None or got[0] == "cpu":
        return
    wheel, how = got
    w, b = major_minor(wheel), major_minor(facts.cuda)
    if w == b or (w[:1] == b[:1] and w < b):
        return
    yield ctx.finding(
        torch.install_line,
        f"{where(torch)} is built for CUDA {wheel} ({how}) but `{final.base.raw}` provides CUDA {facts.cuda}: "
        "torch brings its own CUDA runtime, so the base's is unused weight, anything compiled against the base "
        f"(nvcc builds, system-cuDNN users) mismatches torch, and the host driver must support CUDA {wheel}",
        hint=f"install the torch build for CUDA {facts.cuda} (`+cu{facts.cuda.replace('.', '')}` from the "
        f"PyTorch index), or move the base to CUDA {wheel}",
    )


@rule(
    "ML202",
    "mixed-cuda-variants",
    Severity.ERROR,
    "torch, torchvision and torchaudio in one image are built for different CUDA variants",
    on=MlProject,
)
def mixed_cuda_variants(ml: MlProject, ctx: RuleContext) -> Iterator[Finding]:
    family = [p for p in _torch_family(ml) if not ambiguous(ml, p.name)]
    if len(family) < 2:
        return
    pins = _runtime_pins(ml)
    known = [(p, got) for p in family if (got := torch_cuda(p, pins)) is not None]
    if len(known) < 2:
        return
    first, (cuda, how) = known[0]
    for p, (other, other_how) in known[1:]:
        if other != cuda:
            yield ctx.finding(
                p.install_line,
                f"{where(p)} is built for {_shown(other)} ({other_how}) but {where(first)} for {_shown(cuda)} ({how}): "
                f'import fails with "Detected that PyTorch and {p.name.title()} were compiled with different CUDA '
                'versions" or kernels are missing',
                hint="take torch, torchvision and torchaudio from one index with one label (all +cuXYZ or all +cpu)",
            )
            return


@rule(
    "ML203",
    "cpu-wheel-on-cuda-base",
    Severity.ERROR,
    "A CPU-only torch build is installed on a CUDA base image",
    on=MlProject,
)
def cpu_wheel_on_cuda_base(ml: MlProject, ctx: RuleContext) -> Iterator[Finding]:
    final = ml.final
    torch = image_versions(ml).get("torch")
    if final is None or torch is None or ambiguous(ml, "torch"):
        return
    facts = base_facts(final.base)
    got = explicit_cuda(torch)
    if facts.is_cuda and got is not None and got[0] == "cpu":
        yield ctx.finding(
            torch.install_line,
            f"{where(torch)} is the CPU-only build ({got[1]}) on the CUDA base `{final.base.raw}`: "
            "torch.cuda.is_available() is False on every GPU and the image carries CUDA for nothing",
            hint="install the CUDA build of torch matching the base (`+cuXYZ` from the PyTorch index), or use a "
            "CPU base image",
        )


def _toolkit(ml: MlProject, index: int) -> bool:
    """nvcc may be in the stage: a devel base, a toolkit install, or a base the tables do not know."""
    s = next((x for x in ml.stages if x.index == index), None)
    if s is None:
        return True
    facts = base_facts(s.base)
    if facts.family is None or facts.devel:
        return True
    if any(re.match(r"(cuda-nvcc|cuda-toolkit|nvidia-cuda-toolkit|cuda-compiler)", p) for p in s.os_packages):
        return True
    return any("nvcc" in text for _, text in s.runs) or "CUDA_HOME" in s.env


@rule(
    "ML204",
    "cuda-extension-without-toolkit",
    Severity.ERROR,
    "A package that compiles CUDA code is built from source in a stage without nvcc (no devel base, no toolkit)",
    on=MlProject,
)
def cuda_extension_without_toolkit(ml: MlProject, ctx: RuleContext) -> Iterator[Finding]:
    from reprocheck.knowledge import mentions

    candidates = [p for p in ml.packages if mentions("cuda_builds", p.name)]
    if not candidates:
        return
    from reprocheck.knowledge import table

    rows = {str(r["name"]): r for r in table("cuda_builds")}
    for p in candidates:
        row = rows.get(p.name)
        if row is None or (p.variant == "url" and p.index.split("?")[0].endswith(".whl")):
            continue
        s = next((x for x in ml.stages if x.index == p.stage), None)
        if s is None or _toolkit(ml, p.stage):
            continue
        run = next((t for ln, t in s.runs if ln == p.install_line), "")
        skipped = bool(row.get("skip_env")) and (row["skip_env"] in s.env or f"{row['skip_env']}=" in run)
        if skipped or "CUDA_HOME" in run:
            continue
        yield ctx.finding(
            p.install_line,
            f"{where(p)} compiles CUDA code when built from source, and this stage (`{s.base.raw}`) has no nvcc: "
            'the build fails ("nvcc was not found") or silently leaves the CUDA kernels out',
            hint="build in a CUDA `devel` stage (nvidia/cuda:<version>-devel-..., pytorch/pytorch:...-devel) and copy "
            "the result, or install a prebuilt wheel that matches torch, CUDA and Python",
        )
