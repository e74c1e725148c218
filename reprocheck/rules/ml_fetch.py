"""ML40x: weights and data fetched when the prediction runs, and caches baked where the runtime user cannot
read them."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reprocheck.model.dockerfile import RunInstruction
from reprocheck.model.finding import Finding, Severity
from reprocheck.model.ml import CodeCall, MlProject, MlStage
from reprocheck.model.names import canonical
from reprocheck.rules._api import RuleContext, rule
from reprocheck.rules._ml import image_versions, is_root

_WHAT = {
    "hf": "from the Hugging Face Hub",
    "hf-pipeline": "from the Hugging Face Hub",
    "hf-pipeline-default": "(the task's default model) from the Hugging Face Hub",
    "torch.hub": "through torch.hub (GitHub)",
    "torchvision": "(pretrained torchvision weights) from download.pytorch.org",
    "timm": "(pretrained timm weights) from the Hugging Face Hub",
    "spacy": "as a spaCy pipeline package the image does not install",
    "nltk": "from the NLTK data server",
    "whisper": "(a Whisper checkpoint) from OpenAI's CDN",
    "yolo": "(YOLO weights) from GitHub",
}


def _local(target: str, ml: MlProject) -> bool:
    if not target or target.startswith(("/", "./", "../", "~")) or target.endswith("/"):
        return True
    t = target.lstrip("./")
    return t in ml.context_files or any(f.startswith(t + "/") or f.endswith("/" + t) for f in ml.context_files)


def _baked(call: CodeCall, ml: MlProject, runs: str) -> bool:
    if call.call == "spacy":
        return canonical(call.target) in image_versions(ml) or call.target in runs
    if call.call == "yolo":
        return call.target in runs or _local(call.target, ml)
    if not call.target:
        return call.call in ("torchvision",) and bool(re.search(r"weights|pretrained|torch\.hub", runs))
    if call.call == "hf-pipeline-default":
        return "pipeline(" in runs and call.target in runs
    baked_by_script = any(c.executed_at_build and c.target == call.target for c in ml.calls)
    return call.target in runs or baked_by_script


@rule(
    "ML401",
    "weights-fetched-at-prediction",
    Severity.WARNING,
    "Code the image copies fetches weights or data at run time, and nothing shows the image holds them",
    on=MlProject,
)
def weights_fetched_at_prediction(ml: MlProject, ctx: RuleContext) -> Iterator[Finding]:
    final = ml.final
    if final is None or not ml.calls:
        return
    from reprocheck.knowledge import table

    fetch = {str(r["call"]) for r in table("fetch_calls") if r.get("kind") == "fetch"}
    runs = "\n".join(t for s in ml.stages if s.final or s.feeds for _, t in s.runs)
    offline = any(
        final.env.get(v, "").strip() in ("1", "true", "True") for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )
    for call in ml.calls:
        if call.call not in fetch or call.executed_at_build or "local_files_only=True" in call.text:
            continue
        if call.call not in ("torchvision", "hf-pipeline-default") and _local(call.target, ml):
            continue
        if _baked(call, ml, runs):
            continue
        what = f'"{call.target}"' if call.target and call.call != "hf-pipeline-default" else "a model"
        tail = (
            "; HF_HUB_OFFLINE is set, so it fails outright"
            if offline and call.call.startswith("hf")
            else ": the prediction needs the network (the smoke sandbox has none) and changes when the remote does"
        )
        yield ctx.finding(
            call.line,
            f"`{call.text}` loads {what} {_WHAT.get(call.call, 'over the network')} when it runs, and the image "
            f"holds no copy{tail}",
            hint="bake it at build time at a fixed revision (a RUN that downloads it into a directory the runtime "
            "user can read, then ENV HF_HUB_OFFLINE=1 / a local path), or COPY the files in",
            path=call.path,
        )


def _user_at(ml: MlProject, line: int, s: MlStage) -> str | None:
    user = None
    for ins in ml.project.dockerfile.instructions:
        if ins.line >= line:
            break
        if ins.keyword == "USER" and ins.stage in _chain_indexes(ml, s):
            user = ins.value.strip().split(":", 1)[0]
    return user


def _chain_indexes(ml: MlProject, s: MlStage) -> set[int]:
    stages = ml.project.dockerfile.stages
    out, i = set(), s.index
    while i is not None and 0 <= i < len(stages) and i not in out:
        out.add(i)
        i = stages[i].parent  # type: ignore[assignment]
    return out


@rule(
    "ML402",
    "model-cache-baked-for-another-user",
    Severity.ERROR,
    "Weights are baked into root's home cache, but the image runs as another user who cannot read it",
    on=MlProject,
)
def model_cache_baked_for_another_user(ml: MlProject, ctx: RuleContext) -> Iterator[Finding]:
    final = ml.final
    if final is None or is_root(final.user):
        return
    from reprocheck.knowledge import needles

    wanted = needles("cache_dirs")
    runs = [(line, text) for line, text in final.runs if any(n in text for n in wanted)]
    if not runs:
        return
    from reprocheck.knowledge import table

    for row in table("cache_dirs"):
        bake = row.get("bake")
        if not bake:
            continue
        variables = [str(v) for v in row["variables"]]
        for line, text in runs:
            if not re.search(str(bake), text):
                continue
            ins = next((i for i in ml.project.dockerfile.instructions if i.line == line), None)
            if not isinstance(ins, RunInstruction) or not is_root(_user_at(ml, line, final)):
                continue
            if any(final.env_lines.get(v, 10**9) < line for v in variables) or "HOME" in final.env:
                continue
            if any(re.search(rf"\b{v}=", text) for v in variables):
                continue
            if re.search(r"--local-dir\b|\blocal_dir\s*=", text):  # written where it is named, not in the cache
                continue
            yield ctx.finding(
                line,
                f"this RUN (as root) fills {row['default']} of root, but the image runs as `{final.user}` "
                f"(line {final.user_line}), who cannot read /root: the weights are fetched again at run time, or "
                "not found when offline",
                hint=f"set ENV {variables[0]}=/opt/<dir> before this RUN (a path the runtime user can read), or bake "
                "after USER",
            )
            break
