"""ML70x: what ML libraries need from the image at run time: a writable cache directory for the runtime
user, and a C++ compiler for torch.compile."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reprocheck.model.finding import Finding, Severity
from reprocheck.model.ml import MlProject, MlStage
from reprocheck.rules._api import RuleContext, rule
from reprocheck.rules._ml import base_facts, image_versions, is_root

_COMPILERS = ("gcc", "g++", "build-essential", "clang", "gcc-c++", "c++", "cpp")


def _homeless(stage: MlStage) -> bool:
    """The runtime user has no home directory: a numeric uid no RUN creates with one, or a user a RUN of this
    Dockerfile creates without one. A user that comes from the base image is not judged (it may have one)."""
    user = (stage.user or "").strip()
    if not user or "$" in user or "HOME" in stage.env:
        return False
    created = None
    for _, text in stage.runs:
        if "useradd" not in text and "adduser" not in text:
            continue
        for m in re.finditer(r"\b(useradd|adduser)\b([^;&|]*)", text):
            args = m.group(2)
            if not re.search(rf"(^|\s){re.escape(user)}(\s|$)", args):
                continue
            if m.group(1) == "useradd":
                created = not re.search(r"(\s-\w*m\b|--create-home)", args)
            else:
                created = bool(re.search(r"--no-create-home|\s-\w*H\b", args))
    if created is not None:
        return created
    return user.isdigit()


@rule(
    "ML701",
    "cache-dir-not-writable",
    Severity.WARNING,
    "An ML library writes a cache/config directory that the image's non-root user cannot write",
    on=MlProject,
)
def cache_dir_not_writable(ml: MlProject, ctx: RuleContext) -> Iterator[Finding]:
    final = ml.final
    if final is None or is_root(final.user) or not _homeless(final):
        return
    from reprocheck.knowledge import mentions

    versions = image_versions(ml)
    if not any(mentions("cache_dirs", n) for n in versions):
        return
    from reprocheck.knowledge import table

    calls = {c.call for c in ml.calls}
    hits: list[tuple[str, str, str, str]] = []  # (library, variable, default, when)
    for row in table("cache_dirs"):
        libs = [str(x) for x in row["libraries"] if str(x) in versions]
        if not libs or (row.get("with_call") and not calls & set(row["with_call"])):
            continue
        if any(v in final.env for v in row["variables"]) or "XDG_CACHE_HOME" in final.env:
            continue
        when = "at import" if row.get("when") == "import" else "on first use"
        hits.append((libs[0], str(row["variables"][0]), str(row["default"]), when))
    if not hits:
        return
    said = "; ".join(f"{lib} writes {default} {when} (moved by {var})" for lib, var, default, when in hits)
    yield ctx.finding(
        final.user_line,
        f"the image runs as `{final.user}`, created without a home directory here (and root-owned site-packages): "
        f"{said}; each fails with a permission error (or a read-only file system) unless its variable points to a "
        "writable directory",
        hint=f"ENV {' '.join(f'{var}=/tmp/{lib}' for lib, var, _, _ in hits)} (or directories chowned to the "
        "runtime user); or create the user with a home (useradd -m)",
    )


@rule(
    "ML702",
    "torch-compile-without-compiler",
    Severity.ERROR,
    "Code the image copies calls torch.compile, and the final image has no C++ compiler",
    on=MlProject,
)
def torch_compile_without_compiler(ml: MlProject, ctx: RuleContext) -> Iterator[Finding]:
    final = ml.final
    compiles = [c for c in ml.calls if c.call == "torch.compile" and not c.executed_at_build]
    if final is None or not compiles or "torch" not in image_versions(ml):
        return
    if any(final.env.get(v, "") not in ("", "0") for v in ("TORCH_COMPILE_DISABLE", "TORCHDYNAMO_DISABLE")):
        return
    facts = base_facts(final.base)
    if facts.compiler is not False:
        return  # a compiler in the base, or a base the tables do not know
    if any(p.lower().split("=")[0] in _COMPILERS or p.lower().startswith(("gcc-", "g++-")) for p in final.os_packages):
        return
    for c in compiles:
        if "backend=" in c.text and "inductor" not in c.text:
            continue
        yield ctx.finding(
            c.line,
            f"`{c.text}` compiles with inductor, which generates C++ at the first call, and `{final.base.raw}` has no "
            'C++ compiler: it fails with "InvalidCxxCompiler: No working C++ compiler found"',
            hint="install g++ in the final stage, or set ENV TORCH_COMPILE_DISABLE=1 / compile with "
            'backend="eager" for serving',
            path=c.path,
        )
