"""``[tool.reprocheck.verify]`` (or ``[verify]`` in reprocheck.toml): which locks, which interpreter, what to
ignore. Pure; every mistake is a ConfigError with the key and its line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reprocheck.errors import ConfigError

# the installers' own distributions: never compared with a lock (here, not in match.py: loading a project's
# configuration must not import the matcher and packaging's marker parser)
DEFAULT_IGNORE = ("pip", "setuptools", "wheel", "distribute")

_KNOWN = {"lock", "python", "ignore", "os-packages", "online"}


@dataclass(frozen=True)
class VerifySpec:
    locks: tuple[Path, ...] = ()  # empty: the locks the Dockerfile installs from
    python: tuple[str, ...] = ("python3", "python")  # interpreters to try, in order
    ignore: tuple[str, ...] = DEFAULT_IGNORE
    os_packages: bool = True
    online: bool = False  # ask base images' registries for their digests


def parse_verify(table: Mapping[str, Any], root: Path, where: str, text: str = "") -> VerifySpec:
    from reprocheck.confine import ProjectRoot
    from reprocheck.lint.table import ConfigTable

    t = ConfigTable(table, where, text, "verify")
    project = ProjectRoot.of(root)
    t.unknown(_KNOWN)
    locks = tuple(project.path_of(lock, t.failer("lock"), must="file") for lock in t.strings("lock", single=True))
    return VerifySpec(
        locks=locks,
        python=t.strings("python", ("python3", "python"), single=True),
        ignore=t.strings("ignore", DEFAULT_IGNORE, single=True),
        os_packages=t.boolean("os-packages", True),
        online=t.boolean("online", False),
    )


def load_verify(config: Path | None) -> VerifySpec:
    """The verify table of a config file (defaults when there is none)."""
    if config is None:
        return VerifySpec()
    from reprocheck.lint.config import reprocheck_table

    table, text = reprocheck_table(config)
    section = table.get("verify", {})
    if not isinstance(section, dict):
        raise ConfigError("`verify` must be a table", path=str(config))
    return parse_verify(section, config.parent.resolve(), str(config), text)
