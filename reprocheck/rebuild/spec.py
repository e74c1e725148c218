"""``[tool.reprocheck.rebuild]``: what differences are allowed, and how the second build may vary. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reprocheck.errors import ConfigError

_KNOWN = {"allow-paths", "allow-causes", "vary", "source-date-epoch", "network"}


@dataclass(frozen=True)
class RebuildSpec:
    allow_paths: tuple[str, ...] = ()  # globs of image paths whose differences are accepted
    allow_causes: tuple[str, ...] = ()  # causes accepted: content, pyc, apt, cache, metadata, mtime
    vary: bool = False  # second build from a renamed copy of the context with group-writable modes
    source_date_epoch: str | None = None  # "git" (the last commit's time) or seconds since the epoch
    network: str | None = None  # "host" (from the command line only): the build reaches servers here


def parse_rebuild(table: Mapping[str, Any], where: str, text: str = "") -> RebuildSpec:
    from reprocheck.lint.table import ConfigTable

    t = ConfigTable(table, where, text, "rebuild")
    t.unknown(_KNOWN)
    causes = t.strings("allow-causes")
    if causes:
        from reprocheck.rebuild.explain import CAUSES  # the explainer, only when causes are allowed

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
    if network is not None:
        # the build runs the project's own RUN steps: this machine's network namespace is the user's to give
        # (`--network host` on the command line), never the project's configuration's
        raise t.error(
            "network",
            "the project cannot give its build steps this machine's network: pass `--network host` to "
            "`reprocheck rebuild` when a build must reach a server here (the default bridge otherwise)",
        )
    return RebuildSpec(t.strings("allow-paths"), causes, vary, sde, None)


def check_source_date_epoch(value: str, fail: Any) -> str:
    if value != "git" and not value.isdigit():
        raise fail('must be "git" (the last commit\'s time) or a number of seconds')
    return value


def load_rebuild(config: Path | None) -> RebuildSpec:
    if config is None:
        return RebuildSpec()
    from reprocheck.lint.config import reprocheck_table

    table, text = reprocheck_table(config)
    section = table.get("rebuild", {})
    if not isinstance(section, dict):
        raise ConfigError("`rebuild` must be a table", path=str(config))
    return parse_rebuild(section, str(config), text)
