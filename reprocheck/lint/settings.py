"""The resolved settings for a file or project, each with where it came from (``reprocheck config --show``):
the nearest reprocheck configuration, a ``.hadolint.yaml`` where reprocheck's is silent, or the default. The
same search and merge lint uses, so what this shows is what judges the file."""

from __future__ import annotations

import contextlib
from dataclasses import fields
from pathlib import Path
from typing import Any

from reprocheck.model._value import valueclass

from .config import Config

DEFAULT = "default"
# Config field -> the key a configuration file writes
_KEYS = {
    "select": "select",
    "extend_select": "extend-select",
    "ignore": "ignore",
    "severity": "severity",
    "failure_threshold": "failure-threshold",
    "trusted_registries": "trusted-registries",
    "exclude": "exclude",
    "per_file_ignores": "per-file-ignores",
    "platform": "platform",
    "max_file_size": "max-file-size",
    "disallow_inline_ignores": "disallow-inline-ignores",
    "exit_zero": "exit-zero",
}


@valueclass(slots=True)
class Setting:
    key: str
    value: Any  # plain JSON-able value
    source: str  # a config file's path, "<file> (hadolint `key`)", or "default"


@valueclass(slots=True)
class Settings:
    target: str
    config_files: tuple[str, ...]
    settings: tuple[Setting, ...]
    sections: tuple[tuple[str, str], ...]  # [smoke], [verify]...: the section and the file that holds it
    notes: tuple[str, ...] = ()


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "value") and not isinstance(value, int | float | str | bool):
        return value.value  # enums (Severity)
    return value


_HADOLINT_KEY = {
    "ignore": "ignored",
    "severity": "override",
    "trusted_registries": "trustedRegistries",
    "failure_threshold": "failure-threshold",
    "exit_zero": "no-fail",
    "disallow_inline_ignores": "disable-ignore-pragma",
}


def resolve(target: str, config: str | None = None, isolated: bool = False, hadolint: str | None = None) -> Settings:
    """The settings lint would apply to ``target`` (a file or directory), with their sources."""
    from .baseline import normal_path
    from .run import LintOptions, _config, _own_config, _search_start

    options = LintOptions(config=config, isolated=isolated, hadolint_config=hadolint)
    start = _search_start(target)
    own = _own_config(options, start)
    notes: list[str] = []
    merged = _config(options, notes, start)
    hl_path = merged.hadolint_path
    files = tuple(normal_path(p) for p in (own.path, hl_path) if p)
    out: list[Setting] = []
    for f in fields(Config):
        key = _KEYS.get(f.name)
        if key is None:
            continue
        value = getattr(merged, f.name)
        sources = [normal_path(own.path)] if own.path and key in own.keys else []
        if hl_path and value != getattr(own, f.name):
            sources.append(f"{normal_path(hl_path)} (hadolint `{_HADOLINT_KEY.get(f.name, key)}`)")
        source = " + ".join(sources) or DEFAULT
        if f.name == "select" and value is None:
            value = ("ALL",)
        out.append(Setting(key, _plain(value), source))
    sections = tuple((name, normal_path(own.path or "")) for name in own.sections)
    return Settings(normal_path(target), files, tuple(out), sections, (*_file_ignores(target, merged), *notes))


def _file_ignores(target: str, config: Config) -> list[str]:
    """For a file: the per-file-ignores entries that match it (by its path or its name)."""
    if not Path(target).is_file() or not config.per_file_ignores:
        return []
    from .baseline import normal_path
    from .suppressions import per_file_ignores

    names = {normal_path(target)}
    if config.path:
        with contextlib.suppress(ValueError):
            names.add(Path(target).absolute().relative_to(Path(config.path).absolute().parent).as_posix())
    return [
        f"per-file-ignores `{e.glob}` ignores {e.selector} in this file"
        for e in per_file_ignores(config.per_file_ignores)
        if any(e.matches_path(n) for n in names)
    ]


def render_text(s: Settings) -> str:
    """TOML-like lines, each with its source as a comment."""
    import json

    lines = [f"# settings for {s.target}"]
    lines.append(f"# configuration files: {', '.join(s.config_files) if s.config_files else 'none (defaults)'}")
    width = max((len(x.key) + len(json.dumps(x.value)) for x in s.settings), default=0) + 3
    for x in s.settings:
        assignment = f"{x.key} = {json.dumps(x.value, ensure_ascii=False)}"
        lines.append(f"{assignment:<{width}}  # {x.source}")
    lines.extend(f"[{name}]  # in {where}" for name, where in s.sections)
    lines.extend(f"# note: {n}" for n in s.notes)
    return "\n".join(lines) + "\n"


def as_dict(s: Settings) -> dict[str, Any]:
    return {
        "target": s.target,
        "config_files": list(s.config_files),
        "settings": {x.key: {"value": x.value, "source": x.source} for x in s.settings},
        "sections": dict(s.sections),
        "notes": list(s.notes),
    }
