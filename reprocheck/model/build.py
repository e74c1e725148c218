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
