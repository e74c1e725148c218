"""``[tool.reprocheck.verify]`` (or ``[verify]`` in reprocheck.toml): which locks, which interpreter, what to
ignore. Pure; every mistake is a ConfigError with the key and its line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reprocheck.errors import ConfigError
from reprocheck.verify.match import DEFAULT_IGNORE

_KNOWN = {"lock", "python", "ignore", "os-packages", "online"}


@dataclass(frozen=True)
class VerifySpec:
    locks: tuple[Path, ...] = ()  # empty: the locks the Dockerfile installs from
    python: tuple[str, ...] = ("python3", "python")  # interpreters to try, in order
    ignore: tuple[str, ...] = DEFAULT_IGNORE
    os_packages: bool = True
    online: bool = False  # ask base images' registries for their digests


def parse_verify(table: Mapping[str, Any], root: Path, where: str, text: str = "") -> VerifySpec:
    from reprocheck.engine.config import key_line

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"verify.{key}: {message}", path=where, line=key_line(text, key) or 1)

    for key in table:
        if key not in _KNOWN:
            raise fail(key, f"unknown key (known keys: {', '.join(sorted(_KNOWN))})")

    def strings(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = table.get(key, list(default))
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise fail(key, "must be a string or a list of strings")
        return tuple(value)

    locks = strings("lock", ())
    for lock in locks:
        if not (root / lock).is_file():
            raise fail("lock", f"`{lock}` does not exist")
    for key in ("os-packages", "online"):
        if not isinstance(table.get(key, False), bool):
            raise fail(key, "must be true or false")
    return VerifySpec(
        locks=tuple(root / lock for lock in locks),
        python=strings("python", ("python3", "python")),
        ignore=strings("ignore", DEFAULT_IGNORE),
        os_packages=bool(table.get("os-packages", True)),
        online=bool(table.get("online", False)),
    )


def load_verify(config: Path | None) -> VerifySpec:
    """The verify table of a config file (defaults when there is none)."""
    if config is None:
        return VerifySpec()
    from reprocheck.engine.config import reprocheck_table

    table, text = reprocheck_table(config)
    section = table.get("verify", {})
    if not isinstance(section, dict):
        raise ConfigError("`verify` must be a table", path=str(config))
    return parse_verify(section, config.parent.resolve(), str(config), text)
