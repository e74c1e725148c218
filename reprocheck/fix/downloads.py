"""RC501/RC502/RC504: downloads pinned by what they fetch today (unsafe: that trusts today's content).

``ADD <url>`` gains ``--checksum=sha256:<hex>``, ``ADD <git url>`` a ``#<commit>``; a curl/wget download
to a file gains ``&& echo "<hex>  <file>" | sha256sum -c -`` after it; ``git clone`` gains ``&& git -C
<dir> checkout <commit>`` (or its later ``git checkout <branch>`` names the commit instead).

RC505: ``huggingface-cli download REPO`` / ``hf download REPO`` without a commit gains ``--revision <commit>``
(or its ``--revision main`` names the commit instead): the commit the hub's branch points at today, from the
hub's API. Unsafe: the commit is today's. ``python -c`` one-liners (``snapshot_download(...)``) are left,
with why.

RC503: ``curl -fsSL URL | sh`` becomes ``curl -fsSL URL -o /tmp/NAME && echo "<sha256>  /tmp/NAME" |
sha256sum -c - && sh /tmp/NAME`` from one download made by fix. Unsafe: it trusts today's script."""

from __future__ import annotations

import re
from collections.abc import Sequence
from posixpath import basename
from urllib.parse import urlsplit

from reprocheck.errors import LookupFailed
from reprocheck.fix.lookups.remote import hub_commit, ls_remote, sha256_of_url
from reprocheck.fix.machinery.api import FixContext, Fixer, Outcome, Target
from reprocheck.fix.text.edits import Edit
from reprocheck.fix.text.image_sites import whole_word
from reprocheck.fix.text.words import command_spans, next_command
from reprocheck.model.dockerfile import CopyInstruction, RunInstruction
from reprocheck.model.finding import Finding
from reprocheck.model.shell import ShellCommand, is_shell_or_interpreter
from reprocheck.parsing.downloads import (
    GIT_CLONE,
    GIT_URL,
    HF_CLI,
    HF_DOWNLOAD,
    first_url,
    git_subcommand,
    is_download,
    moving_checkout,
)
from reprocheck.parsing.installers.options import OptionSpec, split_options
from reprocheck.parsing.versions import has_variable, is_commit

_ADD = re.compile(r"^(\s*(?:ONBUILD\s+)?ADD\s+)", re.IGNORECASE)
_CURL = OptionSpec(
    with_arg=frozenset(
        {
            "-o",
            "--output",
            "-H",
            "--header",
            "-u",
            "--user",
            "-A",
            "--user-agent",
            "-d",
            "--data",
            "-X",
            "--request",
            "-e",
            "--referer",
            "--retry",
            "-m",
            "--max-time",
            "--connect-timeout",
            "-w",
            "--write-out",
            "-x",
            "--proxy",
            "-r",
            "--range",
            "-T",
            "--upload-file",
            "--cacert",
            "-b",
            "--cookie",
            "-c",
            "--cookie-jar",
            "-K",
            "--config",
            "--output-dir",
            "-C",
        }
    ),
)
_WGET = OptionSpec(
    with_arg=frozenset(
        {
            "-O",
            "--output-document",
            "-P",
            "--directory-prefix",
            "-U",
            "--user-agent",
            "-t",
            "--tries",
            "-T",
            "--timeout",
            "--header",
            "-o",
            "--output-file",
            "-a",
            "--append-output",
            "-e",
            "--execute",
            "--user",
            "--password",
            "-w",
            "--wait",
        }
    ),
)


def download_target(cmd: ShellCommand) -> str | None:
    """The file a curl/wget command writes (None: standard output, or not known)."""
    url = first_url(cmd)
    remote = basename(urlsplit(url).path)
    if cmd.name == "curl":
        parsed = split_options(cmd.args, _CURL)
        out = parsed.options.get("--output") or parsed.options.get("-o")
        if out:
            return None if out[-1] == "-" else out[-1]
        short = [a for a in cmd.args if a.startswith("-") and not a.startswith("--")]
        if "--remote-name" in cmd.args or any("O" in a for a in short):
            prefix = (parsed.options.get("--output-dir") or [""])[-1]
            return f"{prefix.rstrip('/')}/{remote}" if prefix and remote else remote or None
        return None
    if cmd.name == "wget":
        parsed = split_options(cmd.args, _WGET)
        out = parsed.options.get("--output-document") or parsed.options.get("-O")
        if out:
            return None if out[-1] == "-" else out[-1]
        prefix = (parsed.options.get("--directory-prefix") or parsed.options.get("-P") or [""])[-1]
        return f"{prefix.rstrip('/')}/{remote}" if prefix and remote else remote or None
    return None


def _add(ctx: FixContext, target: Target, ins: CopyInstruction, finding: Finding, out: Outcome) -> None:
    if len(ins.sources) != 1:
        out.fail(finding, "--checksum takes one source; split the ADD")
        return
    src = ins.sources[0]
    try:
        if GIT_URL.search(src):
            url, _, fragment = src.partition("#")
            ref, colon, subdir = fragment.partition(":")
            commit = ls_remote(ctx, url, ref or None)
            where = whole_word(target.source, ins.line, ins.end_line, src)
            if where is None:
                out.fail(finding, f"`{src}` is not written plainly enough to edit")
                return
            line, col = where
            new = f"{url}#{commit}{colon}{subdir}"
            out.edits.append(Edit(target.shown, line, col, col + len(src), new, "RC501", f"{url} at {commit[:12]}"))
            return
        digest = sha256_of_url(ctx, src)
    except LookupFailed as exc:
        out.fail(finding, str(exc))
        return
    m = _ADD.match(target.source.line(ins.line))
    if m is None:
        out.fail(finding, "the ADD keyword is not where fix expects it")
        return
    out.edits.append(
        Edit(target.shown, ins.line, m.end(1), m.end(1), f"--checksum=sha256:{digest} ", "RC501", f"{src} hashed")
    )


def _curl(ctx: FixContext, target: Target, ins: RunInstruction, finding: Finding, out: Outcome) -> None:
    for cmd in ins.commands:
        if not is_download(cmd) or any(is_shell_or_interpreter(d) for d in cmd.downstream):
            continue
        url, file = first_url(cmd), download_target(cmd)
        if cmd.downstream or file is None or has_variable(file) or has_variable(url) or '"' in file:
            out.fail(finding, f"`{cmd.name}` writes to standard output or a computed name; check its sum by hand")
            continue
        spans = command_spans(target.source, ins, cmd)
        if spans is None:
            out.fail(finding, f"`{cmd.name} {url}` is not written plainly enough to edit")
            continue
        try:
            digest = sha256_of_url(ctx, url)
        except LookupFailed as exc:
            out.fail(finding, str(exc))
            continue
        last = spans[-1]
        check = f' && echo "{digest}  {file}" | sha256sum -c -'
        out.edits.append(Edit(target.shown, last.line, last.end, last.end, check, "RC502", f"{url} checked"))


def _clone(ctx: FixContext, target: Target, findings: dict[int, Finding], out: Outcome) -> None:
    assert target.dockerfile is not None
    runs = [i for i in target.dockerfile.instructions if isinstance(i, RunInstruction)]
    for ins in runs:
        for k, cmd in enumerate(ins.commands):
            sub = git_subcommand(cmd)
            finding = findings.get(cmd.line)
            if sub is None or sub[0] != "clone" or finding is None:
                continue
            parsed = split_options(sub[1], GIT_CLONE)
            if not parsed.positionals:
                continue
            url = parsed.positionals[0]
            branches = parsed.options.get("--branch")
            branch = branches[0] if branches else None
            later = [c for c in ins.commands[k + 1 :] if moving_checkout(c)]
            if later:
                _replace_moving(ctx, target, ins, later[0], url, finding, out)
                continue
            directory = parsed.positionals[1] if len(parsed.positionals) > 1 else basename(url.rstrip("/"))
            directory = directory.removesuffix(".git")
            if has_variable(url) or has_variable(directory) or not directory:
                out.fail(finding, "the repository or its directory is computed at build time")
                continue
            spans = command_spans(target.source, ins, cmd)
            if spans is None:
                out.fail(finding, f"`git clone {url}` is not written plainly enough to edit")
                continue
            try:
                commit = ls_remote(ctx, url, branch)
            except LookupFailed as exc:
                out.fail(finding, str(exc))
                continue
            last = spans[-1]
            check = f" && git -C {directory} checkout --quiet {commit}"
            out.edits.append(
                Edit(target.shown, last.line, last.end, last.end, check, "RC504", f"{url} at {commit[:12]}")
            )


def _replace_moving(
    ctx: FixContext, target: Target, ins: RunInstruction, cmd: ShellCommand, url: str, finding: Finding, out: Outcome
) -> None:
    ref = moving_checkout(cmd)
    spans = command_spans(target.source, ins, cmd)
    index = cmd.argv.index(ref) if ref in cmd.argv else -1
    if ref is None or spans is None or index < 0 or has_variable(ref):
        out.fail(finding, f"`{' '.join(cmd.argv)}` is not written plainly enough to edit")
        return
    try:
        commit = ls_remote(ctx, url, ref)
    except LookupFailed as exc:
        out.fail(finding, str(exc))
        return
    span = spans[index].inner()
    out.edits.append(Edit(target.shown, span.line, span.start, span.end, commit, "RC504", f"{ref} is {commit[:12]}"))


def fix_downloads(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    if target.dockerfile is None:
        return out
    by_rule: dict[str, dict[int, Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule, {})[f.location.line] = f
    for ins in target.dockerfile.instructions:
        if isinstance(ins, CopyInstruction) and ins.line in by_rule.get("RC501", {}):
            _add(ctx, target, ins, by_rule["RC501"][ins.line], out)
        elif isinstance(ins, RunInstruction) and ins.line in by_rule.get("RC502", {}):
            _curl(ctx, target, ins, by_rule["RC502"][ins.line], out)
    if "RC504" in by_rule:
        _clone(ctx, target, by_rule["RC504"], out)
    return out


DOWNLOAD_FIXER = Fixer(frozenset({"RC501", "RC502", "RC504"}), fix_downloads)


_REPO = re.compile(r"[A-Za-z0-9][\w.-]*(?:/[A-Za-z0-9][\w.-]*)?")
PYTHON_REASON = (
    'fix edits `huggingface-cli download`/`hf download` only, not Python code: add revision="<commit>" to the '
    "call (huggingface_hub: model_info(repo).sha)"
)


def _pin(
    ctx: FixContext, target: Target, ins: RunInstruction, cmd: ShellCommand, finding: Finding, out: Outcome
) -> None:
    parsed = split_options(cmd.args[1:], HF_DOWNLOAD)
    kind = (parsed.options.get("--repo-type") or ["model"])[-1]
    if kind != "model":
        out.fail(finding, f"fix asks the hub for model repositories only; pin this {kind}'s --revision by hand")
        return
    revisions = parsed.options.get("--revision")
    ref = revisions[-1] if revisions else "main"
    if not parsed.positionals or is_commit(ref):
        return
    repo = parsed.positionals[0]
    if has_variable(repo) or has_variable(ref) or any("$" in word for word in cmd.raw):
        out.fail(finding, "the repository or revision is computed at build time")
        return
    if not _REPO.fullmatch(repo):
        out.fail(finding, f"`{repo}` is not a model repository name fix will ask about")
        return
    spans = command_spans(target.source, ins, cmd)
    if spans is None or len(spans) != len(cmd.argv):
        out.fail(finding, f"`{cmd.text()}` is not written plainly enough to edit")
        return
    try:
        commit = hub_commit(ctx, repo, ref)
    except LookupFailed as exc:
        out.fail(finding, str(exc))
        return
    note = f"{repo}@{ref} is {commit[:12]}"
    if revisions is None:
        at = next(k for k in range(2, len(cmd.argv)) if cmd.argv[k] == repo)
        span = spans[at]
        out.edits.append(Edit(target.shown, span.line, span.end, span.end, f" --revision {commit}", "RC505", note))
        return
    for k in range(len(cmd.argv) - 1, 1, -1):
        word = cmd.argv[k]
        if word.startswith("--revision="):
            span = spans[k].inner()
            start = span.start + len("--revision=")
            out.edits.append(Edit(target.shown, span.line, start, span.end, commit, "RC505", note))
            return
        if word == "--revision" and k + 1 < len(cmd.argv):
            span = spans[k + 1].inner()
            out.edits.append(Edit(target.shown, span.line, span.start, span.end, commit, "RC505", note))
            return
    out.fail(finding, f"`{cmd.text()}` is not written plainly enough to edit")


def fix_models(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    if target.dockerfile is None or not ctx.allows("RC505"):
        return out  # without --unsafe-fixes the hub is not asked: its answer would not be written
    flagged = {f.location.line: f for f in findings if f.rule == "RC505"}
    for ins in target.dockerfile.instructions:
        if not isinstance(ins, RunInstruction):
            continue
        for cmd in ins.commands:
            finding = flagged.get(cmd.line)
            if finding is None:
                continue
            if cmd.name in HF_CLI and cmd.args[:1] == ("download",):
                _pin(ctx, target, ins, cmd, finding, out)
            elif cmd.name.startswith("python"):
                out.fail(finding, PYTHON_REASON)
    return out


MODEL_FIXER = Fixer(frozenset({"RC505"}), fix_models)


_PIPE = re.compile(r"^[ \t]*\|[ \t]*$")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


def _piped(ctx: FixContext, target: Target, ins: RunInstruction, finding: Finding, out: Outcome) -> None:
    for cmd in ins.commands:
        if not is_download(cmd) or not any(is_shell_or_interpreter(d) for d in cmd.downstream):
            continue
        runner = next_command(ins, cmd)
        url = first_url(cmd)
        mine = command_spans(target.source, ins, cmd)
        theirs = command_spans(target.source, ins, runner) if runner else None
        if runner is None or mine is None or theirs is None or has_variable(url):
            out.fail(finding, "the pipeline is not written plainly enough to rewrite")
            continue
        first, last = mine[-1], theirs[0]
        line = target.source.line(first.line)
        if first.line != last.line or theirs[-1].line != first.line or not _PIPE.match(line[first.end : last.start]):
            out.fail(finding, "the pipeline spans lines; rewrite it by hand")
            continue
        try:
            digest = sha256_of_url(ctx, url)
        except LookupFailed as exc:
            out.fail(finding, str(exc))
            continue
        name = basename(urlsplit(url).path)
        script = f"/tmp/{name if _SAFE_NAME.match(name or '') else 'installer'}"
        args = list(runner.raw[1:])
        while args and args[0] in ("-", "-s", "--"):
            args.pop(0)
        output = " -o " if cmd.name == "curl" else " -O "
        run = " ".join([runner.raw[0], script, *args])
        text = f'{output.strip()} {script} && echo "{digest}  {script}" | sha256sum -c - && {run}'
        end = theirs[-1].end
        out.edits.append(
            Edit(target.shown, first.line, first.end, end, " " + text, "RC503", f"{url} checked, then run")
        )


def fix_piped(ctx: FixContext, target: Target, findings: Sequence[Finding]) -> Outcome:
    out = Outcome()
    seen: set[int] = set()
    for f in findings:
        ins = target.run_at(f)
        if ins is None or ins.line in seen:
            continue
        seen.add(ins.line)
        _piped(ctx, target, ins, f, out)
    return out


PIPED_FIXER = Fixer(frozenset({"RC503"}), fix_piped)


FIXERS: tuple[Fixer, ...] = (
    DOWNLOAD_FIXER,
    MODEL_FIXER,
    PIPED_FIXER,
)
