"""Downloads in shell commands, as rules and fixes both read them: a downloader with a URL, a git clone and
its later checkout, a model hub CLI download."""

from __future__ import annotations

import re

from reprocheck.model.patterns import lazy
from reprocheck.model.shell import ShellCommand
from reprocheck.parsing.installers.options import OptionSpec

DOWNLOADERS = frozenset({"curl", "wget", "aria2c", "axel", "fetch"})
URL = lazy(r"^(https?|ftp)://", re.IGNORECASE)
GIT_URL = lazy(r"^(git@|git://|ssh://)|\.git(#|$)|^https?://[^#]*\.git(#|$)")


def is_download(cmd: ShellCommand) -> bool:
    """A downloader (curl, wget...) given a URL."""
    return cmd.name in DOWNLOADERS and any(URL.match(a) for a in cmd.args)


def first_url(cmd: ShellCommand) -> str:
    return next((a for a in cmd.args if URL.match(a)), "")


GIT_CLONE = OptionSpec(
    with_arg=frozenset(
        {
            "-b",
            "--branch",
            "--depth",
            "-o",
            "--origin",
            "-c",
            "--config",
            "--reference",
            "--shallow-since",
            "--shallow-exclude",
            "-j",
            "--jobs",
            "--filter",
            "--template",
            "-u",
            "--upload-pack",
            "--separate-git-dir",
            "--revision",
            "--bundle-uri",
            "--server-option",
            "--ref-format",
        }
    ),
    aliases={"-b": "--branch"},
)
_GIT_GLOBAL_WITH_ARG = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path"})


def git_subcommand(cmd: ShellCommand) -> tuple[str, tuple[str, ...]] | None:
    """``git -C dir checkout x`` -> ("checkout", ("x",)); None for another command."""
    if cmd.name != "git":
        return None
    args = cmd.args
    k = 0
    while k < len(args) and args[k].startswith("-"):
        k += 2 if args[k] in _GIT_GLOBAL_WITH_ARG else 1
    if k >= len(args):
        return None
    return args[k], args[k + 1 :]


def moving_checkout(cmd: ShellCommand) -> str | None:
    sub = git_subcommand(cmd)
    if sub is None or sub[0] not in ("checkout", "switch"):
        return None
    refs = [a for a in sub[1] if not a.startswith("-") and a not in (".", "--")]
    return refs[0] if refs else None


HF_CLI = frozenset({"huggingface-cli", "hf"})
HF_DOWNLOAD = OptionSpec(
    with_arg=frozenset(
        {
            "--revision",
            "--repo-type",
            "--include",
            "--exclude",
            "--cache-dir",
            "--local-dir",
            "--token",
            "--max-workers",
            "--local-dir-use-symlinks",
        }
    ),
)
