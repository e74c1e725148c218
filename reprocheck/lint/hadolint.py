"""``.hadolint.yaml``: a team switching from hadolint keeps its configuration. ``no-fail`` is ``exit-zero``
(report, never fail), ``disable-ignore-pragma`` is ``disallow-inline-ignores``; ``ignored``, ``override``,
``trustedRegistries`` and ``failure-threshold`` are mapped through each rule's declared hadolint equivalents
(a DL id that several reprocheck rules declare applies to all of them); reprocheck's own configuration and
command line win wherever both say something. PyYAML is imported only when such a file exists."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reprocheck.errors import ConfigError
from reprocheck.model.finding import Severity
from reprocheck.model.rule import RuleMeta

from .config import Config
from .selection import specificity

HADOLINT_NAMES = (".hadolint.yaml", ".hadolint.yml")
_SEVERITY = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO, "style": Severity.INFO}
# Keys about hadolint's own output or label rules: nothing to map, nothing to say.
_MAX_BYTES = 1_000_000
_QUIET_KEYS = frozenset({"format", "no-color", "label-schema", "strict-labels", "require-labels"})


@dataclass(frozen=True, slots=True)
class HadolintConfig:
    path: str
    ignored: tuple[str, ...] = ()
    override: Mapping[str, Severity] = field(default_factory=dict)  # DL id -> severity
    trusted_registries: tuple[str, ...] = ()
    failure_threshold: Severity | None = None
    notes: tuple[str, ...] = ()
    no_fail: bool = False
    disable_ignore_pragma: bool = False


def find_hadolint_config(start: Path) -> Path | None:
    """The nearest ``.hadolint.yaml`` (or ``.yml``) from ``start`` upwards, stopping at the repository root."""
    for d in (start, *start.parents):
        for name in HADOLINT_NAMES:
            candidate = d / name
            if candidate.is_file():
                return candidate
        if (d / ".git").exists():
            return None
    return None


def _line(text: str, key: str) -> int | None:
    m = re.search(rf"^\s*['\"]?{re.escape(key)}['\"]?\s*:", text, re.MULTILINE)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _strings(value: Any, key: str, fail: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise fail(key, f"`{key}` must be a list of strings")


def load_hadolint_config(path: Path) -> HadolintConfig:
    import yaml

    from .baseline import normal_path

    where = normal_path(str(path))
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise ConfigError("too large for a hadolint configuration (over 1 MB)", path=where)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", path=where) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"invalid YAML: {problem}", path=where, line=mark.line + 1 if mark else None) from None
    except RecursionError:
        raise ConfigError("invalid YAML: nested too deeply", path=where) from None
    if data is None:
        return HadolintConfig(where)
    if not isinstance(data, dict):
        raise ConfigError("a hadolint configuration must be a mapping of keys", path=where, line=1)

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(message, path=where, line=_line(text, key))

    notes: list[str] = []
    ignored = _strings(data.get("ignored"), "ignored", fail)
    trusted = _strings(data.get("trustedRegistries"), "trustedRegistries", fail)
    override: dict[str, Severity] = {}
    raw_override = data.get("override") or {}
    if not isinstance(raw_override, dict):
        raise fail("override", "`override` must map error/warning/info/style to lists of rule ids")
    for level, codes in raw_override.items():
        if str(level) not in _SEVERITY:
            raise fail(str(level), f"override: unknown level `{level}` (expected error, warning, info or style)")
        for code in _strings(codes, str(level), fail):
            override[code.upper()] = _SEVERITY[str(level)]
    threshold = None
    if "failure-threshold" in data:
        level = str(data["failure-threshold"]).lower()
        if level in _SEVERITY:
            threshold = _SEVERITY[level]
        elif level in ("ignore", "none"):
            notes.append(f"{where}: failure-threshold `{level}` has no reprocheck equivalent; it is not applied")
        else:
            raise fail("failure-threshold", f"failure-threshold: unknown level `{level}`")
    flags: dict[str, bool] = {}
    for key in data:
        if key in ("no-fail", "disable-ignore-pragma"):
            if not isinstance(data[key], bool):
                raise fail(key, f"`{key}` must be true or false")
            flags[key] = data[key]
        elif key not in (*_QUIET_KEYS, "ignored", "trustedRegistries", "override", "failure-threshold"):
            notes.append(f"{where}: unknown key `{key}` ignored")
    return HadolintConfig(
        where,
        tuple(c.upper() for c in ignored),
        override,
        trusted,
        threshold,
        tuple(notes),
        no_fail=flags.get("no-fail", False),
        disable_ignore_pragma=flags.get("disable-ignore-pragma", False),
    )


def _rules_of(code: str, metas: Iterable[RuleMeta]) -> list[str]:
    return [m.id for m in metas if code in m.equivalents.get("hadolint", ())]


def _named(rule: RuleMeta, selectors: Iterable[str]) -> bool:
    return any(specificity(s, rule) > 0 for s in selectors)


def merge(
    config: Config, hadolint: HadolintConfig, metas: Mapping[str, RuleMeta], cli_select: Sequence[str] = ()
) -> tuple[Config, list[str]]:
    """``config`` with what ``hadolint`` adds where reprocheck's own settings are silent, and notes on what
    could not be mapped (DL ids no reprocheck rule declares)."""
    notes = list(hadolint.notes)
    unknown: list[str] = []
    selected = (*(config.select or ()), *config.extend_select, *cli_select)
    ignore = list(config.ignore)
    for code in hadolint.ignored:
        ids = _rules_of(code, metas.values())
        if not ids and code.startswith("DL"):
            unknown.append(code)
        ignore.extend(i for i in ids if not _named(metas[i], selected) and i not in ignore)
    severity = dict(config.severity)
    for code, level in hadolint.override.items():
        ids = _rules_of(code, metas.values())
        if not ids and code.startswith("DL"):
            unknown.append(code)
        for i in ids:
            if not _named(metas[i], config.severity):
                severity[i] = level
    if unknown:
        listed = ", ".join(sorted(set(unknown)))
        notes.append(f"{hadolint.path}: {listed}: no reprocheck rule is equivalent; ignored")
    merged = replace(
        config,
        ignore=tuple(ignore),
        severity=severity,
        trusted_registries=config.trusted_registries or hadolint.trusted_registries,
        failure_threshold=(
            hadolint.failure_threshold
            if hadolint.failure_threshold is not None and "failure-threshold" not in config.keys
            else config.failure_threshold
        ),
        exit_zero=config.exit_zero if "exit-zero" in config.keys else hadolint.no_fail,
        hadolint_path=hadolint.path,
        disallow_inline_ignores=(
            config.disallow_inline_ignores
            if "disallow-inline-ignores" in config.keys
            else hadolint.disable_ignore_pragma
        ),
    )
    return merged, notes
