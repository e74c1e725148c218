"""ML30x: the set of distributions an image gets, judged as a whole: two that install one import package, and
a lock resolved for another platform than the image's."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reprocheck.model.finding import Finding, Severity
from reprocheck.model.ml import MlPackage, MlProject
from reprocheck.rules._api import RuleContext, rule
from reprocheck.rules._ml import cuda_of_index, cuda_of_label, version_tuple, where


@rule(
    "ML301",
    "exclusive-distributions",
    Severity.ERROR,
    "Two distributions that install the same import package (opencv, onnxruntime, tensorflow, faiss variants)",
    on=MlProject,
)
def exclusive_distributions(ml: MlProject, ctx: RuleContext) -> Iterator[Finding]:
    from reprocheck.knowledge import mentions

    pkgs = [p for p in ml.image_packages() if mentions("exclusive_groups", p.name)]
    if len({p.name for p in pkgs}) < 2:
        return
    from reprocheck.knowledge import table

    for row in table("exclusive_groups"):
        members = [str(m) for m in row["members"]]
        first: dict[str, MlPackage] = {}
        for p in pkgs:
            if p.name in members:
                first.setdefault(p.name, p)
        if len(first) < 2:
            continue
        found = sorted(first.values(), key=lambda p: (p.path != ml.project.dockerfile.path, p.install_line, p.line))
        a, b = found[0], found[1]
        if _deleted(ml, str(row["module"]), max(a.install_line, b.install_line)):
            continue

        def shown(p: MlPackage) -> str:
            return where(p) + (f", required by {p.requirer}" if p.requirer else "")

        yield ctx.finding(
            b.install_line,
            f"{shown(a)} and {shown(b)} both install the package `{row['module']}`: the files of the one installed "
            "last overwrite the other's, so what `import` gets depends on the install order",
            hint=f"keep one of {', '.join(members[:2])}...; when one is pulled in by another package, override it "
            "(uv `override-dependencies`, a constraints file) rather than installing both",
        )


def _deleted(ml: MlProject, module: str, after: int) -> bool:
    """A later RUN of a stage the image is made of deletes the module's directories (``find ... -name cv2 ...
    rm -rf``): the image then holds another build of it, or none."""
    pattern = rf"-name\s+['\"]?{re.escape(module)}\b|rm\s+-\w*r\w*\s[^;&|]*/{re.escape(module)}\b"
    return any(
        line > after and "rm " in text and re.search(pattern, text)
        for s in ml.stages
        if s.final or s.feeds
        for line, text in s.runs
    )


@rule(
    "ML302",
    "lock-resolved-for-other-platform",
    Severity.ERROR,
    "A compiled lock pins torch without the Linux x86_64 dependencies its PyPI wheel has (resolved on macOS/Windows)",
    on=MlProject,
)
def lock_resolved_for_other_platform(ml: MlProject, ctx: RuleContext) -> Iterator[Finding]:
    if ml.platform not in ("linux/amd64", "linux/x86_64"):
        return
    by_file: dict[str, list[MlPackage]] = {}
    for p in ml.image_packages():
        if p.path != ml.project.dockerfile.path:
            by_file.setdefault(p.path, []).append(p)
    for path, pkgs in by_file.items():
        torch = next((p for p in pkgs if p.name == "torch" and p.version), None)
        if torch is None or not torch.hashed or version_tuple(torch.version) < (1, 13):
            continue
        if cuda_of_label(torch.variant) or (torch.index and cuda_of_index(torch.index)):
            continue  # a labelled build or the PyTorch index: no nvidia-* dependencies expected
        if any(re.match(r"(nvidia-|triton$|pytorch-triton)", p.name) for p in pkgs):
            continue
        yield ctx.finding(
            torch.line,
            f"{path} pins torch {torch.version} with hashes but none of the Linux x86_64 dependencies of its PyPI "
            "wheel (nvidia-*-cu1x, triton): it was resolved on another platform (macOS, Windows), and "
            "`pip install --require-hashes` refuses them in the image (without hashes they would float)",
            hint="resolve for the image's platform (`uv pip compile --python-platform x86_64-manylinux_2_28`, or "
            "pip-compile inside the image), or pin the CPU build from the PyTorch CPU index",
            path=path,
        )
