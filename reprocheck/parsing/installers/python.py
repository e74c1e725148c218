"""pip, ``python -m pip``, ``uv pip``, pipx, ``uv tool``; and the lock-driven tools uv, poetry, pipenv, pdm,
pip-tools and conda-lock, whose commands matter for whether the lock is what gets installed."""

from __future__ import annotations

import re
from dataclasses import replace

from reprocheck.model.install import InstallCommand, PackageSpec, SpecKind
from reprocheck.model.shell import ShellCommand
from reprocheck.parsing.installers.options import OptionSpec, split_options
from reprocheck.parsing.requirement import classify_requirement

_PIP_GLOBAL_WITH_ARG = frozenset(
    {
        "--log",
        "--proxy",
        "--retries",
        "--timeout",
        "--exists-action",
        "--trusted-host",
        "--cert",
        "--client-cert",
        "--cache-dir",
        "--python",
        "--keyring-provider",
        "--use-feature",
        "--use-deprecated",
        "--root-user-action",
        "--progress-bar",
        "--log-file",
        "--local-log",
    }
)
_PIP_INSTALL = OptionSpec(
    with_arg=_PIP_GLOBAL_WITH_ARG
    | frozenset(
        {
            "--requirement",
            "--constraint",
            "--editable",
            "--index-url",
            "--extra-index-url",
            "--find-links",
            "--target",
            "--prefix",
            "--root",
            "--platform",
            "--python-version",
            "--implementation",
            "--abi",
            "--src",
            "--upgrade-strategy",
            "--global-option",
            "--install-option",
            "--config-settings",
            "--no-binary",
            "--only-binary",
            "--report",
            "--group",
            "--build-constraint",
            "-r",
            "-c",
            "-e",
            "-i",
            "-f",
            "-t",
            "-C",
            "--override",
            "--overrides",
            "--index-strategy",
            "--torch-backend",
            "--python-platform",
            "--resolution",
            "--prerelease",
            "--exclude-newer",
            "--link-mode",
            "--compile-bytecode-arg",
            "--reinstall-package",
            "--refresh-package",
            "--no-build-package",
            "--no-binary-package",
            "--only-binary-package",
            "--extra",
            "--index",
            "--default-index",
            "--keyring",
            "--config-setting",
            "--directory",
            "--project",
            "--config-file",
            "-p",
            "--with",
            "--with-requirements",
            "--with-editable",
            "--pip-args",
            "--suffix",
        }
    ),
    aliases={
        "-r": "--requirement",
        "-c": "--constraint",
        "-e": "--editable",
        "-i": "--index-url",
        "-f": "--find-links",
        "-U": "--upgrade",
        "-t": "--target",
        "-C": "--config-settings",
        "-p": "--python",
        "-q": "--quiet",
        "-v": "--verbose",
        "-I": "--ignore-installed",
        "--config-setting": "--config-settings",
        "--no-cache": "--no-cache-dir",
    },
)
_PIP_SUBCOMMANDS = frozenset(
    {
        "install",
        "download",
        "uninstall",
        "freeze",
        "inspect",
        "list",
        "show",
        "check",
        "config",
        "search",
        "cache",
        "index",
        "wheel",
        "hash",
        "completion",
        "debug",
        "help",
        "lock",
        "sync",
        "compile",
        "tree",
    }
)


def _is_pip(name: str) -> bool:
    return re.fullmatch(r"pip([23](\.\d+)?)?", name) is not None


def _python_module(argv: tuple[str, ...]) -> tuple[str, tuple[str, ...]] | None:
    """``python3 -m pip install x`` -> ("pip", ("install", "x"))."""
    k = 1
    while k < len(argv):
        a = argv[k]
        if a == "-m" and k + 1 < len(argv):
            return argv[k + 1], argv[k + 2 :]
        if a.startswith("-m") and len(a) > 2:
            return a[2:], argv[k + 1 :]
        if a in ("-W", "-X", "-c"):
            if a == "-c":
                return None
            k += 2
            continue
        if a.startswith("-"):
            k += 1
            continue
        return None
    return None


def parse_python_tool(cmd: ShellCommand) -> InstallCommand | None:
    argv = cmd.argv
    name = cmd.name
    if _is_pip(name):
        return _pip(cmd, name, argv[1:])
    if name.startswith(("python", "pypy")):
        mod = _python_module(argv)
        if mod is None:
            return None
        module, rest = mod
        if _is_pip(module):
            return _pip(cmd, f"{name} -m pip", rest)
        if module in ("uv", "pipx", "poetry", "pipenv", "pdm"):
            return parse_python_tool(replace(cmd, argv=(module, *rest)))
        if module == "piptools":
            return _piptools(cmd, rest)
        return None
    if name == "uv":
        return _uv(cmd, argv[1:])
    if name == "pipx":
        return _pipx(cmd, argv[1:])
    if name == "poetry":
        return _lock_tool(cmd, "poetry", argv[1:])
    if name == "pipenv":
        return _lock_tool(cmd, "pipenv", argv[1:])
    if name == "pdm":
        return _lock_tool(cmd, "pdm", argv[1:])
    if name in ("pip-compile", "pip-sync"):
        return InstallCommand("pip-tools", name, name.split("-")[1], cmd, options=_opts(argv[1:]))
    if name == "conda-lock":
        sub = next((a for a in argv[1:] if not a.startswith("-")), "lock")
        return InstallCommand("conda-lock", name, sub, cmd, options=_opts(argv[1:]))
    return None


def _piptools(cmd: ShellCommand, rest: tuple[str, ...]) -> InstallCommand | None:
    if not rest:
        return None
    sub = rest[0]
    if sub not in ("compile", "sync"):
        return None
    return InstallCommand("pip-tools", f"pip-{sub}", sub, cmd, options=_opts(rest[1:]))


def _opts(args: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return split_options(args, _PIP_INSTALL).frozen()


def _pip(cmd: ShellCommand, tool: str, args: tuple[str, ...]) -> InstallCommand | None:
    # global options may come before the subcommand: pip --no-cache-dir install x
    k = 0
    while k < len(args) and args[k] not in _PIP_SUBCOMMANDS:
        a = args[k]
        k += 2 if (a in _PIP_GLOBAL_WITH_ARG and "=" not in a) else 1
    if k >= len(args):
        return None
    sub = args[k]
    pre = split_options(args[:k], _PIP_INSTALL)
    parsed = split_options(args[k + 1 :], _PIP_INSTALL)
    for key, vals in pre.options.items():
        for v in vals:
            parsed.add(key, v)
    return _build_install("pip", tool, sub, cmd, parsed.positionals, parsed.frozen())


def _build_install(
    manager: str,
    tool: str,
    action: str,
    cmd: ShellCommand,
    positionals: list[str],
    options: dict[str, tuple[str, ...]],
) -> InstallCommand:
    packages: list[PackageSpec] = [classify_requirement(p) for p in positionals if p]
    for e in options.get("--editable", ()):
        spec = classify_requirement(e)
        packages.append(spec if spec.kind is not SpecKind.NAME else PackageSpec(e, e, SpecKind.PATH))
    return InstallCommand(
        manager,
        tool,
        action,
        cmd,
        packages=tuple(packages),
        requirement_files=options.get("--requirement", ()) + options.get("--with-requirements", ()),
        constraint_files=options.get("--constraint", ()),
        options=options,
    )


def _uv(cmd: ShellCommand, args: tuple[str, ...]) -> InstallCommand | None:
    parsed = split_options(args, _PIP_INSTALL, stop_at_first_positional=True)
    if not parsed.positionals:
        return None
    sub, rest = parsed.positionals[0], tuple(parsed.positionals[1:])
    if sub == "pip" and rest:
        inner = split_options(rest[1:], _PIP_INSTALL)
        return _build_install("pip", "uv pip", rest[0], cmd, inner.positionals, inner.frozen())
    if sub == "tool" and rest and rest[0] == "install":
        inner = split_options(rest[1:], _PIP_INSTALL)
        return _build_install("pip", "uv tool", "install", cmd, inner.positionals, inner.frozen())
    if sub in ("sync", "run", "lock", "add", "remove", "export", "install"):
        inner = split_options(rest, _PIP_INSTALL, stop_at_first_positional=(sub == "run"))
        options = parsed.frozen() | inner.frozen()
        return InstallCommand("uv", "uv", sub, cmd, options=options)
    return None


def _pipx(cmd: ShellCommand, args: tuple[str, ...]) -> InstallCommand | None:
    parsed = split_options(args, _PIP_INSTALL)
    if not parsed.positionals or parsed.positionals[0] not in ("install", "inject"):
        return None
    sub, pos = parsed.positionals[0], parsed.positionals[1:]
    if sub == "inject":
        pos = pos[1:]
    return _build_install("pip", "pipx", "install", cmd, pos, parsed.frozen())


def _lock_tool(cmd: ShellCommand, tool: str, args: tuple[str, ...]) -> InstallCommand | None:
    parsed = split_options(args, _PIP_INSTALL)
    if not parsed.positionals:
        return None
    sub = parsed.positionals[0]
    packages = tuple(classify_requirement(p) for p in parsed.positionals[1:]) if sub in ("add", "install") else ()
    return InstallCommand(tool, tool, sub, cmd, packages=packages, options=parsed.frozen())
