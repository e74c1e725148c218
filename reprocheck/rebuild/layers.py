"""Which Dockerfile instruction made which layer: the image history (from ``docker save``) aligned with the
final stage's instructions from the end. Pure."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from reprocheck.backend.base import SavedLayers
from reprocheck.model.dockerfile import Dockerfile, FromInstruction
from reprocheck.rebuild.explain import Origin


def _text(keyword: str, value: str) -> str:
    text = " ".join(f"{keyword} {value}".split())
    return text if len(text) <= 70 else text[:67] + "..."


def layer_origins(df: Dockerfile, history: Sequence[tuple[str, bool]], target: str | None = None) -> list[Origin]:
    """One Origin per layer, base first. Layers of the base image get line 0 and their history text."""
    final = df.final_stage(target) if df.stages else 0
    instructions = [
        ins
        for ins in df.instructions
        if ins.stage == final and not isinstance(ins, FromInstruction) and not ins.onbuild
    ]
    ours = len(history)
    while ours and "io.reprocheck." in history[ours - 1][0]:
        ours -= 1  # the labels the build adds come last
    by_history: dict[int, tuple[int, str]] = {}
    for k in range(1, min(ours, len(instructions)) + 1):
        ins = instructions[-k]
        by_history[ours - k] = (ins.line, _text(ins.keyword, ins.value))
    origins: list[Origin] = []
    for h, (created_by, empty) in enumerate(history):
        if empty:
            continue
        line, text = by_history.get(h, (0, " ".join(created_by.split())[:70] or "the base image"))
        origins.append(Origin(line, text, len(origins)))
    return origins


def origin_finder(saved: Sequence[SavedLayers], origins: Sequence[Sequence[Origin]]) -> Callable[[str], Origin | None]:
    """path -> the instruction whose layer last wrote it (in the second build, else the first)."""

    def find(path: str) -> Origin | None:
        for layers, per_layer in zip(saved, origins, strict=True):
            for index in range(len(layers.layer_paths) - 1, -1, -1):
                if path in layers.layer_paths[index] and index < len(per_layer):
                    return per_layer[index]
        return None

    return find
