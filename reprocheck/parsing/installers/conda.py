"""conda, mamba and micromamba: ``install``, ``create``, ``update`` and ``env create/update -f``."""

from __future__ import annotations

import re

from reprocheck.model.install import InstallCommand, PackageSpec, SpecKind
from reprocheck.model.patterns import lazy
from reprocheck.model.shell import ShellCommand
from reprocheck.parsing.installers.options import OptionSpec, split_options
from reprocheck.parsing.versions import has_variable

CONDA_TOOLS = frozenset({"conda", "mamba", "micromamba"})
_CONDA = OptionSpec(
    with_arg=frozenset(
        {
            "-n",
            "--name",
            "-p",
            "--prefix",
            "-c",
            "--channel",
            "--file",
            "-f",
            "--repodata-fn",
            "--solver",
            "--platform",
            "--subdir",
            "-r",
            "--root-prefix",
            "--channel-priority",
            "--category",
            "--experimental-solver",
            "--json-output",
            "--rc-file",
            "--env",
        }
    ),
    aliases={"-n": "--name", "-p": "--prefix", "-c": "--channel", "-f": "--file", "-y": "--yes"},
)
_SPEC = lazy(r"(?:(?P<channel>[^:\s]+)::)?(?P<name>[A-Za-z0-9_.\-]+)\s*(?P<rest>.*)")
_RANGE_CHARS = frozenset("*<>|,!~")


def judge_conda_spec(raw: str, strict_build: bool = False) -> PackageSpec:
    """Judge a conda MatchSpec. ``name==1.2.3`` and ``name=1.2.3`` (three or more parts) are pinned;
    ``name=1.2`` means 1.2.* and is not. With ``strict_build`` a build string is required too."""
    text = raw.strip()
    if has_variable(text):
        return PackageSpec(raw, text, SpecKind.VARIABLE)
    m = _SPEC.fullmatch(text)
    if m is None:
        return PackageSpec(raw, text, reason="not a conda package spec")
    name, rest = m.group("name"), m.group("rest").strip()
    bracket = re.search(r"\[version=['\"]?([^'\"\]]+)['\"]?", rest)
    if bracket:
        rest = "==" + bracket.group(1) if not bracket.group(1).startswith(tuple("=<>!~")) else bracket.group(1)
    if not rest:
        return PackageSpec(raw, name, reason="no version")
    build: str | None = None
    if rest.startswith("=="):
        parts = rest[2:].split("=", 1)
        version = parts[0].strip()
        build = parts[1].strip() if len(parts) > 1 else None
        exact = True
    elif rest.startswith("="):
        parts = rest[1:].split("=", 1)
        version = parts[0].strip()
        build = parts[1].strip() if len(parts) > 1 else None
        exact = build is not None or len(version.split(".")) >= 3
    elif rest[0].isdigit():
        # space-separated form: "numpy 1.26.4 py311h..."
        bits = rest.split()
        version = bits[0]
        build = bits[1] if len(bits) > 1 else None
        exact = True
    else:
        return PackageSpec(raw, name, reason=f"`{rest}` is a range")
    if not version or any(ch in version for ch in _RANGE_CHARS):
        return PackageSpec(raw, name, reason=f"`{rest}` is a range or pattern")
    if not exact:
        return PackageSpec(raw, name, version=version, reason=f"`={version}` matches any {version}.* release")
    if strict_build and not build:
        return PackageSpec(raw, name, version=version, reason="no build string")
    return PackageSpec(raw, name, version=version, pinned=True)


def parse_conda(cmd: ShellCommand) -> InstallCommand | None:
    parsed = split_options(cmd.args, _CONDA)
    pos = parsed.positionals
    if not pos:
        return None
    sub = pos[0]
    options = parsed.frozen()
    files = options.get("--file", ())
    if sub == "env" and len(pos) > 1:
        action = "env-" + pos[1]
        if pos[1] not in ("create", "update"):
            return None
        return InstallCommand("conda", cmd.name, action, cmd, requirement_files=files, options=options)
    if sub in ("install", "create"):
        pkgs = tuple(judge_conda_spec(p) for p in pos[1:])
        return InstallCommand("conda", cmd.name, sub, cmd, packages=pkgs, requirement_files=files, options=options)
    if sub in ("update", "upgrade"):
        pkgs = tuple(judge_conda_spec(p) for p in pos[1:])
        return InstallCommand(
            "conda",
            cmd.name,
            "update",
            cmd,
            packages=pkgs,
            requirement_files=files,
            options=options,
            verb=sub,
        )
    return None
