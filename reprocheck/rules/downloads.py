"""RC50x: downloads: ADD of URLs, curl/wget, curl | sh, git clone, model hub downloads."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reprocheck.model.dockerfile import CopyInstruction, Dockerfile, RunInstruction
from reprocheck.model.finding import Finding, Severity
from reprocheck.model.patterns import lazy
from reprocheck.model.rule import FixKind
from reprocheck.model.shell import SHELLS, ShellCommand, basename, is_shell_or_interpreter
from reprocheck.parsing.downloads import (
    DOWNLOADERS,
    GIT_CLONE,
    GIT_URL,
    HF_CLI,
    HF_DOWNLOAD,
    URL,
    first_url,
    git_subcommand,
    is_download,
    moving_checkout,
)
from reprocheck.parsing.installers.options import split_options
from reprocheck.parsing.versions import has_variable, is_commit
from reprocheck.rules._api import RuleContext, rule

_SUMS = frozenset(
    {
        "sha256sum",
        "sha512sum",
        "sha384sum",
        "sha224sum",
        "sha1sum",
        "md5sum",
        "b2sum",
        "shasum",
        "cksum",
        "sha256",
        "sha512",
    }
)
_COMPARE = frozenset({"grep", "cmp", "diff", "test", "[", "[["})


def _verifies(cmd: ShellCommand) -> bool:
    """A command that checks a checksum or a signature."""
    name, args = cmd.name, cmd.args
    if name in _SUMS:
        if any(
            a in ("-c", "--check", "--status") or (a.startswith("-") and not a.startswith("--") and "c" in a)
            for a in args
        ):
            return True
        # sha256sum f | grep -q <sum>, or [ "$(sha256sum f ...)" = "<sum>" ]
        return cmd.context in ("$()", "`") or any(d in _COMPARE or d == "awk" for d in cmd.downstream)
    if name in ("gpg", "gpg2"):
        return "--verify" in args
    if name in ("gpgv", "gpgv2"):
        return True
    if name == "cosign":
        return bool(args) and args[0].startswith("verify")
    if name in ("minisign", "signify"):
        return "-V" in args
    if name == "openssl":
        return bool(args) and args[0] in ("dgst", "sha256", "sha512") and ("-verify" in args or cmd.context == "$()")
    if name == "rpm":
        return "-K" in args or "--checksig" in args
    return False


@rule(
    "RC501",
    "add-url-without-checksum",
    Severity.ERROR,
    "ADD of a URL or git repository without `--checksum`",
    on=CopyInstruction,
    fix=FixKind.UNSAFE,
)
def add_url_without_checksum(node: CopyInstruction, ctx: RuleContext) -> Iterator[Finding]:
    if node.keyword != "ADD" or node.checksum:
        return
    for src in node.sources:
        if GIT_URL.search(src):
            ref = src.rsplit("#", 1)[1].split(":", 1)[0] if "#" in src else ""
            if is_commit(ref) or has_variable(ref):
                continue
            what = f"ref `{ref}`, not a commit" if ref else "no ref: the default branch"
            yield ctx.finding(
                node.line,
                f"`ADD {src}` fetches a git repository at {what}",
                hint="add `#<40-hex commit id>` to the URL, or `--checksum=<commit id>` (BuildKit 1.6+)",
            )
        elif URL.match(src):
            yield ctx.finding(
                node.line,
                f"`ADD {src}` downloads a file whose content is not verified",
                hint="add `--checksum=sha256:<hex>` (dockerfile syntax 1.6+); get it with `curl -sL <url> | sha256sum`",
            )


@rule(
    "RC502",
    "download-without-checksum",
    Severity.WARNING,
    "curl/wget download without a checksum check in the same RUN",
    on=RunInstruction,
    fix=FixKind.UNSAFE,
)
def download_without_checksum(node: RunInstruction, ctx: RuleContext) -> Iterator[Finding]:
    downloads = [
        c for c in node.commands if is_download(c) and not any(is_shell_or_interpreter(d) for d in c.downstream)
    ]
    if not downloads or any(_verifies(c) for c in node.commands):
        return
    url = first_url(downloads[0])
    more = f" and {len(downloads) - 1} more" if len(downloads) > 1 else ""
    yield ctx.finding(
        node.line,
        f"`{downloads[0].name}` downloads `{url}`{more} and nothing in this RUN verifies what arrived",
        hint='verify it in the same RUN: `echo "<sha256>  file" | sha256sum -c -`',
    )


@rule(
    "RC503",
    "download-piped-to-shell",
    Severity.ERROR,
    "Download piped into a shell or interpreter (`curl ... | sh`)",
    on=ShellCommand,
    fix=FixKind.UNSAFE,
)
def download_piped_to_shell(cmd: ShellCommand, ctx: RuleContext) -> Iterator[Finding]:
    if not is_download(cmd):
        return
    runner = next((d for d in cmd.downstream if is_shell_or_interpreter(d)), None)
    if runner is None:
        return
    yield ctx.finding(
        cmd.line,
        f"`{cmd.name} {first_url(cmd)}` is run by `{runner}` unverified: the script can change between builds",
        hint="download to a file, check its sha256 (`sha256sum -c`), then run it; or pin the installer's version",
    )


_SUBSTITUTIONS = frozenset({"$()", "`", "<()", ">()"})
_NOT_A_DOWNLOAD = frozenset({"--version", "-V", "--help", "-h"})


# Shells whose `-o pipefail` option hadolint trusts; /bin/sh may be a dash without it.
_PIPEFAIL_SHELLS = frozenset({"bash", "zsh", "ash", "ksh", "mksh"})


def _sets_pipefail(cmd: ShellCommand) -> bool:
    return (cmd.name == "set" or cmd.name in SHELLS) and "pipefail" in cmd.args


def _shell_has_pipefail(shell: tuple[str, ...]) -> bool:
    return bool(shell) and basename(shell[0]) in _PIPEFAIL_SHELLS and "pipefail" in shell


@rule(
    "RC506",
    "download-piped-without-pipefail",
    Severity.WARNING,
    "Download piped into another command without `set -o pipefail`",
    on=RunInstruction,
    equivalents={"hadolint": ("DL4006",)},
)
def download_piped_without_pipefail(node: RunInstruction, ctx: RuleContext) -> Iterator[Finding]:
    if _shell_has_pipefail(node.shell):
        return
    for cmd in node.commands:
        if _sets_pipefail(cmd):
            return  # what follows runs with pipefail
        if (
            cmd.name not in DOWNLOADERS
            or not cmd.downstream
            or cmd.context in _SUBSTITUTIONS
            or any(a in _NOT_A_DOWNLOAD for a in cmd.args)
            or any(is_shell_or_interpreter(d) for d in cmd.downstream)  # RC503 says it
        ):
            continue
        reader = cmd.downstream[0]
        yield ctx.finding(
            cmd.line,
            f"`{cmd.text(50)} | {reader}`: without pipefail the pipeline succeeds when `{reader}` does, "
            f"so a failed download builds an image without what `{cmd.name}` should have fetched",
            hint='add `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` before this RUN, or start it with '
            "`set -o pipefail &&` (bash)",
        )
        return


def _checks_out_commit(cmd: ShellCommand) -> bool:
    sub = git_subcommand(cmd)
    if sub is None:
        return False
    name, args = sub
    if name not in ("checkout", "reset", "switch", "fetch", "merge"):
        return False
    return any(is_commit(a) or has_variable(a) for a in args if not a.startswith("-"))


def _later_checkouts(commands: list[ShellCommand]) -> tuple[list[bool], list[str | None]]:
    """For each position: whether a command from there on checks out a commit, and the first branch or tag
    checked out from there on. One pass from the end: asking the later commands again for every clone
    made a stage of 8,000 clones take 37 s."""
    commit: list[bool] = [False] * (len(commands) + 1)
    moving: list[str | None] = [None] * (len(commands) + 1)
    for k in range(len(commands) - 1, -1, -1):
        commit[k] = commit[k + 1] or _checks_out_commit(commands[k])
        moving[k] = moving_checkout(commands[k]) or moving[k + 1]
    return commit, moving


@rule(
    "RC504",
    "git-clone-without-commit",
    Severity.WARNING,
    "git clone not followed by a checkout of a full commit id",
    on=Dockerfile,
    fix=FixKind.UNSAFE,
)
def git_clone_without_commit(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Finding]:
    for stage in dockerfile.stages:
        commands = [
            c for ins in dockerfile.in_stage(stage.index) if isinstance(ins, RunInstruction) for c in ins.commands
        ]
        later_commit, later_moving = _later_checkouts(commands)
        for k, cmd in enumerate(commands):
            sub = git_subcommand(cmd)
            if sub is None or sub[0] != "clone":
                continue
            parsed = split_options(sub[1], GIT_CLONE)
            if not parsed.positionals:
                continue
            url = parsed.positionals[0]
            revision = (parsed.options.get("--revision") or [""])[0]
            if is_commit(revision) or has_variable(revision):
                continue
            if later_commit[k + 1]:
                continue
            branch = (parsed.options.get("--branch") or [""])[0]
            moving = later_moving[k + 1]
            if has_variable(branch):
                continue
            if moving:
                what = f"then checks out `{moving}`, a branch or tag, not a commit"
            elif branch:
                what = f"takes `{branch}`, a branch or tag, not a commit"
            else:
                what = "takes whatever the default branch holds at build time"
            yield ctx.finding(
                cmd.line,
                f"`git clone {url}` {what}",
                hint="check out a full commit id after cloning: `git -C <dir> checkout <40-hex commit id>`",
            )


_HUB_CALL = lazy(r"\b(snapshot_download|hf_hub_download|from_pretrained)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)")
_REVISION_ARG = lazy(r"""revision\s*=\s*['"]([^'"]+)['"]""")


@rule(
    "RC505",
    "model-download-without-revision",
    Severity.ERROR,
    "Model hub download (huggingface-cli/hf, snapshot_download) without a commit revision",
    on=ShellCommand,
    fix=FixKind.UNSAFE,
)
def model_download_without_revision(cmd: ShellCommand, ctx: RuleContext) -> Iterator[Finding]:
    if cmd.name in HF_CLI and cmd.args[:1] == ("download",):
        parsed = split_options(cmd.args[1:], HF_DOWNLOAD)
        revision = (parsed.options.get("--revision") or [""])[0]
        repo = parsed.positionals[0] if parsed.positionals else "?"
        if is_commit(revision) or has_variable(revision):
            return
        what = f"revision `{revision}` is a branch or tag" if revision else "no --revision: it takes `main` as of today"
        yield ctx.finding(
            cmd.line,
            f"`{cmd.name} download {repo}`: {what}; the weights can change under the same name",
            hint="pass `--revision <40-hex commit id>` (the model page's commit history lists them)",
        )
        return
    if not cmd.name.startswith("python") or "-c" not in cmd.args:
        return
    script = cmd.args[cmd.args.index("-c") + 1] if cmd.args.index("-c") + 1 < len(cmd.args) else ""
    for m in _HUB_CALL.finditer(script):
        rev = _REVISION_ARG.search(m.group(2))
        if rev and (is_commit(rev.group(1)) or has_variable(rev.group(1))):
            continue
        what = f"revision `{rev.group(1)}` is not a commit" if rev else "no revision="
        named = re.match(r"""\s*(?:repo_id\s*=\s*)?['"]([^'"]+)['"]""", m.group(2))
        call = f"{m.group(1)}({named.group(1)!r})" if named else f"{m.group(1)}(...)"
        yield ctx.finding(
            cmd.line,
            f"`{call}` downloads a model with {what}; the weights can change under the same name",
            hint='pass revision="<40-hex commit id>"',
        )
