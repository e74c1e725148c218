"""What a Docker-side run takes: one frozen dataclass the CLI fills from its options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reprocheck.model.finding import Severity
from reprocheck.model.rule import Stage


@dataclass(frozen=True)
class RebuildOptions:
    """Command-line additions to ``[tool.reprocheck.rebuild]``."""

    vary: bool = False
    allow_paths: tuple[str, ...] = ()
    allow_causes: tuple[str, ...] = ()
    network: str | None = None
    source_date_epoch: str | None = None
    details: Path | None = None  # write every difference as JSON here


@dataclass(frozen=True)
class RunOptions:
    """One run of the pipeline. ``stages`` are the stages asked for (the build comes with smoke and verify).

    ``gate`` is ``check``'s mode: every stage is reported, a stage that could not run makes the verdict
    incomplete, and a missing engine is a note instead of an error."""

    project: Path = Path(".")
    stages: frozenset[Stage] = frozenset({Stage.SMOKE})
    gate: bool = False
    static_only: bool = False  # gate: lint only, the other stages are not required
    no_smoke: bool = False  # gate: no smoke spec is accepted, not incomplete
    # configuration and judging, as for lint
    config: Path | None = None
    isolated: bool = False
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    failure_threshold: Severity | None = None
    baseline: Path | None = None  # lint findings in this baseline file are known, not reported
    # the image
    image: str | None = None
    dockerfile: Path | None = None
    context: Path | None = None
    build_args: Mapping[str, str] = field(default_factory=dict)
    no_cache: bool = False
    no_reuse: bool = False
    # stages
    online: bool = False
    gpus: str | None = None  # --gpus: the smoke prediction asks the engine for GPUs (overrides the spec)
    rebuild: RebuildOptions = field(default_factory=RebuildOptions)
    debug: bool = False
