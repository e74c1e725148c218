"""Configuration: ``[tool.reprocheck]`` in pyproject.toml or a ``.reprocheck.toml``, validated with file and line."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reprocheck.errors import ConfigError
from reprocheck.model.finding import Severity

CONFIG_NAMES = (".reprocheck.toml", "reprocheck.toml", "pyproject.toml")
_LIST_KEYS = ("select", "extend-select", "ignore", "trusted-registries", "exclude")
# Sections other commands own; the lint engine only checks that they are tables.
_OTHER_SECTIONS = ("smoke", "verify", "rebuild", "check", "audit")


@dataclass(frozen=True, slots=True)
class Config:
    path: str | None = None
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    failure_threshold: Severity = Severity.WARNING
    trusted_registries: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    platform: str = "linux/amd64"
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def key_line(text: str, key: str) -> int | None:
    """The first line that assigns ``key`` (TOML bare or quoted), for error messages."""
    pat = re.compile(rf"""^\s*["']?{re.escape(key)}["']?\s*=""", re.MULTILINE)
    m = pat.search(text)
    if m is None:
        m = re.search(rf"^\s*\[[^\]]*{re.escape(key)}[^\]]*\]", text, re.MULTILINE)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _load_toml(path: Path) -> tuple[dict[str, Any], str]:
    import tomllib

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", path=str(path)) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+)", str(exc))
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ConfigError(f"invalid TOML: {msg}", path=str(path), line=int(m.group(1)) if m else None) from None


def find_config(start: Path) -> Path | None:
    """The nearest config file from the directory ``start`` upwards, stopping at the repository root (a
    pyproject.toml without ``[tool.reprocheck]`` is passed by, as ruff passes one without ``[tool.ruff]``)."""
    start = start.absolute()
    for d in (start, *start.parents):
        for name in CONFIG_NAMES:
            candidate = d / name
            if candidate.is_file():
                if name != "pyproject.toml":
                    return candidate
                try:
                    head = candidate.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                if "reprocheck" in head:  # cheap test before parsing TOML
                    data, _ = _load_toml(candidate)
                    if "reprocheck" in data.get("tool", {}):
                        return candidate
        if (d / ".git").exists():
            return None
    return None


def reprocheck_table(path: Path) -> tuple[dict[str, Any], str]:
    """The reprocheck settings of a config file (``[tool.reprocheck]`` of a pyproject.toml, the whole of a
    ``.reprocheck.toml`` or ``reprocheck.toml``) and the file's text, for the lines of errors."""
    data, text = _load_toml(path)
    tool = data.get("tool", {}) if path.name == "pyproject.toml" else {"reprocheck": data}
    table = tool.get("reprocheck", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError("`tool.reprocheck` must be a table", path=str(path), line=key_line(text, "reprocheck"))
    return table, text


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    table, text = reprocheck_table(path)
    return parse_config(table, text, str(path))


def parse_config(table: Mapping[str, Any], text: str, where: str) -> Config:
    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(message, path=where, line=key_line(text, key))

    known = {*_LIST_KEYS, "severity", "failure-threshold", "per-file-ignores", "platform", *_OTHER_SECTIONS}
    for key in table:
        if key not in known:
            raise fail(key, f"unknown key `{key}` (known keys: {', '.join(sorted(known))})")
    lists: dict[str, tuple[str, ...]] = {}
    for key in _LIST_KEYS:
        if key in table:
            value = table[key]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise fail(key, f"`{key}` must be a list of strings")
            lists[key] = tuple(value)
    severity: dict[str, Severity] = {}
    sev_table = table.get("severity", {})
    if not isinstance(sev_table, dict):
        raise fail("severity", '`severity` must be a table of rule = "error|warning|info"')
    for sel, value in sev_table.items():
        try:
            severity[sel] = Severity.parse(str(value))
        except ValueError as exc:
            raise fail(sel, f"severity of `{sel}`: {exc}") from None
    threshold = Severity.WARNING
    if "failure-threshold" in table:
        try:
            threshold = Severity.parse(str(table["failure-threshold"]))
        except ValueError as exc:
            raise fail("failure-threshold", f"failure-threshold: {exc}") from None
    pfi: dict[str, tuple[str, ...]] = {}
    raw_pfi = table.get("per-file-ignores", {})
    if not isinstance(raw_pfi, dict):
        raise fail("per-file-ignores", "`per-file-ignores` must be a table of glob = [rules]")
    for glob, rules in raw_pfi.items():
        if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
            raise fail(glob, f"per-file-ignores for `{glob}` must be a list of rule selectors")
        pfi[glob] = tuple(rules)
    platform = table.get("platform", "linux/amd64")
    if not isinstance(platform, str) or not platform.startswith("linux/"):
        raise fail("platform", '`platform` must be a linux platform such as "linux/amd64" or "linux/arm64"')
    sections: dict[str, Mapping[str, Any]] = {}
    for name in _OTHER_SECTIONS:
        if name in table:
            if not isinstance(table[name], dict):
                raise fail(name, f"`{name}` must be a table")
            sections[name] = table[name]
    return Config(
        path=where,
        select=lists.get("select"),
        extend_select=lists.get("extend-select", ()),
        ignore=lists.get("ignore", ()),
        severity=severity,
        failure_threshold=threshold,
        trusted_registries=lists.get("trusted-registries", ()),
        exclude=lists.get("exclude", ()),
        per_file_ignores=pfi,
        platform=platform,
        sections=sections,
    )
