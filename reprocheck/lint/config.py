"""Configuration: ``[tool.reprocheck]`` in pyproject.toml or a ``.reprocheck.toml``, validated with file and line."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path
from typing import Any

from reprocheck.errors import ConfigError
from reprocheck.model._value import valueclass
from reprocheck.model.finding import Severity

from .files import DEFAULT_MAX_FILE_SIZE

CONFIG_NAMES = (".reprocheck.toml", "reprocheck.toml", "pyproject.toml")
_LIST_KEYS = ("select", "extend-select", "ignore", "trusted-registries", "exclude")
# Sections other commands own; the lint engine only checks that they are tables.
_OTHER_SECTIONS = ("smoke", "verify", "rebuild", "check", "audit")


@valueclass(slots=True)
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
    keys: frozenset[str] = frozenset()  # the keys the file sets (defaults are not settings)
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # bytes; larger files are not read (a finding says so)
    rule_url: str = ""  # a template ({id}, {name}) for the rule pages reports link to; empty: reprocheck's own
    disallow_inline_ignores: bool = False  # pragmas suppress nothing; each is a finding (RC903)
    exit_zero: bool = False  # report, never fail (``exit-zero``; hadolint's ``no-fail``)
    hadolint_path: str | None = None  # the .hadolint.yaml merged into this configuration, if any


def key_line(text: str, key: str) -> int | None:
    """The first line of the whole file that assigns ``key``. Kept for callers outside the config tables;
    validators use ``engine.table.ConfigTable``, which looks only inside the key's own section."""
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
    except (tomllib.TOMLDecodeError, ValueError, RecursionError) as exc:  # ValueError: a 5,000-digit integer
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
    from reprocheck.lint.table import ConfigTable

    t = ConfigTable(table, where, text)
    known = {*_LIST_KEYS, "severity", "failure-threshold", "per-file-ignores", "platform", "max-file-size", "rule-url"}
    known |= {"disallow-inline-ignores", "exit-zero"}
    known |= set(_OTHER_SECTIONS)
    t.unknown(known)
    lists = {key: t.strings(key) for key in _LIST_KEYS if key in table}
    severity: dict[str, Severity] = {}
    sev = t.sub("severity")
    for sel, value in sev.data.items():
        try:
            severity[sel] = Severity.parse(value if isinstance(value, str) else repr(value))
        except ValueError as exc:
            raise sev.error(sel, str(exc)) from None
    threshold = Severity.WARNING
    if "failure-threshold" in table:
        try:
            threshold = Severity.parse(t.string("failure-threshold") or "")
        except ValueError as exc:
            raise t.error("failure-threshold", str(exc)) from None
    pfi: dict[str, tuple[str, ...]] = {}
    per_file = t.sub("per-file-ignores")
    for glob in per_file.data:
        pfi[glob] = per_file.strings(glob)
    platform = t.string("platform", "linux/amd64") or ""
    if not platform.startswith("linux/"):
        raise t.error("platform", 'must be a linux platform such as "linux/amd64" or "linux/arm64"')
    max_size = _size(table.get("max-file-size", DEFAULT_MAX_FILE_SIZE))
    if max_size is None:
        raise t.error("max-file-size", 'must be a positive number of bytes, or a string like "64 MiB"')
    rule_url = t.string("rule-url", "") or ""
    if rule_url and (("{id}" not in rule_url and "{name}" not in rule_url) or not rule_url.startswith("https://")):
        raise t.error("rule-url", 'must be an https:// URL with {id} or {name} in it, e.g. "https://docs.example/{id}"')
    sections: dict[str, Mapping[str, Any]] = {}
    for name in _OTHER_SECTIONS:
        if name in table:
            sections[name] = t.sub(name).data
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
        keys=frozenset(table),
        max_file_size=max_size,
        rule_url=rule_url,
        disallow_inline_ignores=t.boolean("disallow-inline-ignores"),
        exit_zero=t.boolean("exit-zero"),
    )


_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2, "mib": 1024**2}
_UNITS |= {"g": 1024**3, "gb": 1024**3, "gib": 1024**3}


def _size(value: object) -> int | None:
    """Bytes from ``33554432`` or ``"32 MiB"`` (K/M/G, binary multiples); None when it is neither."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value > 0 else None
    if not isinstance(value, str):
        return None
    m = re.fullmatch(r"\s*(\d{1,15})\s*([A-Za-z]{0,3})\s*", value)
    if m is None or m.group(2).lower() not in _UNITS:
        return None
    size = int(m.group(1)) * _UNITS[m.group(2).lower()]
    return size if size > 0 else None
