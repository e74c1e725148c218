"""npm, yarn, pnpm, gem, ``go install``/``go get`` and ``cargo install``."""

from __future__ import annotations

import re

from reprocheck.model.install import InstallCommand, PackageSpec, SpecKind
from reprocheck.model.patterns import lazy
from reprocheck.model.shell import ShellCommand
from reprocheck.parsing.installers.options import OptionSpec, split_options
from reprocheck.parsing.versions import has_variable, is_commit

_NPM = OptionSpec(
    with_arg=frozenset(
        {
            "--prefix",
            "--registry",
            "--cache",
            "--userconfig",
            "--omit",
            "--include",
            "-w",
            "--workspace",
            "--tag",
            "--loglevel",
            "--install-strategy",
            "--cwd",
            "--filter",
            "-C",
            "--dir",
            "--network-timeout",
            "--modules-folder",
            "--mutex",
        }
    ),
)
_NPM_INSTALL = frozenset(
    {"install", "i", "add", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall"}
)
_SEMVER_EXACT = lazy(r"v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?")


def judge_npm_spec(raw: str) -> PackageSpec:
    if has_variable(raw):
        return PackageSpec(raw, raw, SpecKind.VARIABLE)
    if raw.startswith((".", "/", "~", "file:")) or raw.endswith((".tgz", ".tar.gz", ".tar")):
        kind = SpecKind.URL if "://" in raw else SpecKind.PATH
        return PackageSpec(raw, raw, kind, pinned=True)
    if raw.startswith(("git+", "git:", "github:", "gitlab:", "bitbucket:")) or (
        raw.count("/") == 1 and "@" not in raw and not raw.startswith("@")
    ):
        ref = raw.split("#", 1)[1] if "#" in raw else ""
        if ref.startswith("semver:"):
            return PackageSpec(raw, raw, SpecKind.VCS, reason=f"`{ref}` is a range")
        if is_commit(ref):
            return PackageSpec(raw, raw, SpecKind.VCS, version=ref, pinned=True)
        return PackageSpec(raw, raw, SpecKind.VCS, reason="no commit" if not ref else f"`{ref}` is not a commit")
    if "://" in raw:
        return PackageSpec(raw, raw, SpecKind.URL, pinned=True)
    scoped = raw.startswith("@")
    body = raw[1:] if scoped else raw
    name, at, version = body.partition("@")
    name = ("@" if scoped else "") + name
    if not at or not version:
        return PackageSpec(raw, name, reason="no version")
    if _SEMVER_EXACT.fullmatch(version):
        return PackageSpec(raw, name, version=version, pinned=True)
    return PackageSpec(raw, name, version=version, reason=f"`{version}` is a tag or range")


def parse_node(cmd: ShellCommand) -> InstallCommand | None:
    tool = cmd.name
    parsed = split_options(cmd.args, _NPM)
    pos = parsed.positionals
    options = parsed.frozen()
    if tool == "yarn" and pos[:1] == ["global"]:
        pos = pos[1:]
    if not pos:
        if tool == "yarn":  # bare `yarn` installs
            return InstallCommand("npm", tool, "install-lock", cmd, options=options)
        return None
    sub = pos[0]
    if (tool == "npm" and sub == "ci") or (tool == "pnpm" and sub == "ci"):
        return InstallCommand("npm", tool, "ci", cmd, options=options)
    if sub in _NPM_INSTALL:
        specs = tuple(judge_npm_spec(p) for p in pos[1:])
        if not specs:
            return InstallCommand("npm", tool, "install-lock", cmd, options=options)
        return InstallCommand("npm", tool, "install", cmd, packages=specs, options=options, verb=sub)
    return None


_GEM = OptionSpec(
    with_arg=frozenset(
        {
            "-v",
            "--version",
            "-i",
            "--install-dir",
            "-n",
            "--bindir",
            "--source",
            "-s",
            "-P",
            "--trust-policy",
            "--platform",
            "--build-root",
            "-g",
            "--file",
        }
    ),
    aliases={"-v": "--version", "-s": "--source"},
)


def parse_gem(cmd: ShellCommand) -> InstallCommand | None:
    args = cmd.args
    if "--" in args:  # what follows `--` goes to the gem's build (extconf) and names no package
        args = args[: args.index("--")]
    parsed = split_options(args, _GEM)
    pos = parsed.positionals
    if not pos or pos[0] not in ("install", "i", "update"):
        return None
    options = parsed.frozen()
    versions = options.get("--version", ())
    specs: list[PackageSpec] = []
    for raw in pos[1:]:
        name, _, version = raw.partition(":")
        version = version or (versions[0] if versions else "")
        if has_variable(raw):
            specs.append(PackageSpec(raw, raw, SpecKind.VARIABLE))
        elif raw.endswith(".gem"):
            specs.append(PackageSpec(raw, raw, SpecKind.PATH))
        elif not version:
            specs.append(PackageSpec(raw, name, reason="no version"))
        elif re.fullmatch(r"=?\s*\d[\w.]*", version.strip()):
            specs.append(PackageSpec(raw, name, version=version.strip("= "), pinned=True))
        else:
            specs.append(PackageSpec(raw, name, reason=f"`{version}` is a range"))
    action = "upgrade" if pos[0] == "update" else "install"
    return InstallCommand("gem", "gem", action, cmd, packages=tuple(specs), options=options)


def _judge_go(raw: str) -> PackageSpec:
    if has_variable(raw):
        return PackageSpec(raw, raw, SpecKind.VARIABLE)
    if raw.startswith((".", "/")):
        return PackageSpec(raw, raw, SpecKind.PATH)
    path, at, version = raw.partition("@")
    if not at:
        return PackageSpec(raw, path, reason="no version")
    if version in ("latest", "upgrade", "patch", "master", "main", "none"):
        return PackageSpec(raw, path, version=version, reason=f"`@{version}` moves")
    if re.fullmatch(r"v\d+\.\d+\.\d+([-+].*)?", version) or re.fullmatch(r"[0-9a-f]{12,40}", version):
        return PackageSpec(raw, path, version=version, pinned=True)
    return PackageSpec(raw, path, version=version, reason=f"`@{version}` is a version query or branch")


_GO = OptionSpec(
    with_arg=frozenset({"-o", "-tags", "-ldflags", "-gcflags", "-asmflags", "-mod", "-modfile", "-p", "-exec"})
)


def parse_go(cmd: ShellCommand) -> InstallCommand | None:
    args = cmd.args
    if not args or args[0] not in ("install", "get", "run"):
        return None
    if args[0] == "run":
        return _go_run(cmd, args[1:])
    parsed = split_options(args[1:], _GO)
    specs = tuple(_judge_go(p) for p in parsed.positionals)
    return InstallCommand("go", "go", args[0], cmd, packages=specs, options=parsed.frozen())


def _go_run(cmd: ShellCommand, args: tuple[str, ...]) -> InstallCommand | None:
    """``go run [build flags] package|files.go [program arguments]``: only what comes before the program's
    arguments is go's, so only the first positional (or the leading ``.go`` files) names what is built."""
    flags: list[str] = []
    k = 0
    while k < len(args) and args[k].startswith("-") and args[k] != "--":
        flags.append(args[k])
        if args[k] in _GO.with_arg and "=" not in args[k] and k + 1 < len(args):
            flags.append(args[k + 1])
            k += 1
        k += 1
    rest = args[k:]
    if not rest:
        return None
    if rest[0].endswith(".go"):
        return None  # source files of the build context: nothing is fetched
    options = split_options(tuple(flags), _GO).frozen()
    return InstallCommand("go", "go", "run", cmd, packages=(_judge_go(rest[0]),), options=options)


_CARGO = OptionSpec(
    with_arg=frozenset(
        {
            "--version",
            "--vers",
            "--git",
            "--branch",
            "--tag",
            "--rev",
            "--path",
            "--root",
            "--index",
            "--registry",
            "--features",
            "-F",
            "--target",
            "--profile",
            "-j",
            "--jobs",
            "--bin",
            "--example",
            "--target-dir",
            "--config",
            "-Z",
        }
    ),
    aliases={"--vers": "--version", "-F": "--features"},
)


def parse_cargo(cmd: ShellCommand) -> InstallCommand | None:
    args = cmd.args
    if not args or args[0] != "install":
        return None
    parsed = split_options(args[1:], _CARGO)
    options = parsed.frozen()
    version = (options.get("--version") or ("",))[0]
    specs: list[PackageSpec] = []
    if "--path" in options:
        specs.append(PackageSpec(options["--path"][0], options["--path"][0], SpecKind.PATH))
    elif "--git" in options:
        rev = (options.get("--rev") or ("",))[0]
        url = options["--git"][0]
        if is_commit(rev):
            specs.append(PackageSpec(url, url, SpecKind.VCS, version=rev, pinned=True))
        else:
            specs.append(PackageSpec(url, url, SpecKind.VCS, reason="no --rev with a full commit"))
    for raw in parsed.positionals:
        name, _, v = raw.partition("@")
        v = v or version
        if has_variable(raw) or has_variable(v):
            specs.append(PackageSpec(raw, raw, SpecKind.VARIABLE))
        elif not v:
            specs.append(PackageSpec(raw, name, reason="no version"))
        elif re.fullmatch(r"=?\d+\.\d+\.\d+\S*", v):
            specs.append(PackageSpec(raw, name, version=v.lstrip("="), pinned=True))
        else:
            specs.append(PackageSpec(raw, name, reason=f"`{v}` is a range"))
    return InstallCommand("cargo", "cargo", "install", cmd, packages=tuple(specs), options=options)
