"""What a build reads: the inputs of one image, as plain data every layer may pass around."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ImageSource:
    """What a build reads: context, Dockerfile, target and build arguments; ``project`` names the image."""

    project: str
    context: Path
    dockerfile: Path
    target: str | None = None
    build_args: Mapping[str, str] = field(default_factory=dict)
    root: Path | None = None  # the project root (its label on the engine); the context when None
    keep_images: int = 2  # smoke cache: newest images of the project kept
    volatile: frozenset[str] = frozenset()  # context paths the build never copies: out of the inputs digest
