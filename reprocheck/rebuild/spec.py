"""``[tool.reprocheck.rebuild]``: what differences are allowed, and how the second build may vary. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reprocheck.errors import ConfigError
from reprocheck.rebuild.explain import CAUSES

_KNOWN = {"allow-paths", "allow-causes", "vary", "source-date-epoch", "network"}


@dataclass(frozen=True)
class RebuildSpec:
    allow_paths: tuple[str, ...] = ()  # globs of image paths whose differences are accepted
    allow_causes: tuple[str, ...] = ()  # causes accepted: content, pyc, apt, cache, metadata, mtime
    vary: bool = False  # second build from a renamed copy of the context with group-writable modes
    source_date_epoch: str | None = None  # "git" (the last commit's time) or seconds since the epoch
    network: str | None = None  # "host": the build reaches servers on this machine


def parse_rebuild(table: Mapping[str, Any], where: str, text: str = "") -> RebuildSpec:
    from reprocheck.engine.table import ConfigTable

    t = ConfigTable(table, where, text, "rebuild")
    t.unknown(_KNOWN)
    causes = t.strings("allow-causes")
    for cause in causes:
        if cause not in CAUSES:
            raise t.error("allow-causes", f"`{cause}` is not a cause (causes: {', '.join(CAUSES)})")
    vary = t.boolean("vary")
    sde = table.get("source-date-epoch")
    if sde is not None:
        if isinstance(sde, bool) or not isinstance(sde, str | int) or (isinstance(sde, int) and sde < 0):
            raise t.error("source-date-epoch", 'must be "git" (the last commit\'s time) or a number of seconds')
        sde = check_source_date_epoch(str(sde), t.failer("source-date-epoch"))
    network = t.string("network")
    if network is not None and network != "host":
        raise t.error("network", 'can only be "host" (the default bridge otherwise)')
    return RebuildSpec(t.strings("allow-paths"), causes, vary, sde, network)


def check_source_date_epoch(value: str, fail: Any) -> str:
    if value != "git" and not value.isdigit():
        raise fail('must be "git" (the last commit\'s time) or a number of seconds')
    return value


def load_rebuild(config: Path | None) -> RebuildSpec:
    if config is None:
        return RebuildSpec()
    from reprocheck.engine.config import reprocheck_table

    table, text = reprocheck_table(config)
    section = table.get("rebuild", {})
    if not isinstance(section, dict):
        raise ConfigError("`rebuild` must be a table", path=str(config))
    return parse_rebuild(section, str(config), text)
