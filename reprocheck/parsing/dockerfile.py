"""Dockerfile -> model.Dockerfile.

Instructions are split and continuation lines joined exactly as dockerfile-parse's ``structure`` does
(``_structure`` below is that algorithm, rewritten for linear time: the library appends each continuation
line to a string held in a dict, which makes one RUN of 100,000 continued lines quadratic;
``tests/parsing/test_dockerfile.py`` checks the two agree). Lines end at a newline only, as BuildKit reads them.
What this module adds: BuildKit here-documents (their bodies are hidden from the splitter, which would
read them as instructions), empty lines inside a continuation (BuildKit skips them; dockerfile-parse would
end the instruction), ARG/ENV scoping and substitution per stage, image references, flags, exec/shell
form, and the shell commands of every RUN.
"""

from __future__ import annotations

import _thread
import bisect
import re
from collections import ChainMap
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import NamedTuple

from reprocheck.model.dockerfile import (
    DEFAULT_SHELL,
    Comment,
    CopyInstruction,
    Dockerfile,
    FromInstruction,
    ImageKind,
    ImageRef,
    ImageUse,
    Instruction,
    KeyValueInstruction,
    ParseIssue,
    RunInstruction,
    Stage,
)
from reprocheck.model.install import InstallCommand
from reprocheck.model.patterns import lazy
from reprocheck.model.shell import SHELLS, ShellCommand, basename
from reprocheck.parsing.image import parse_image_ref
from reprocheck.parsing.image_uses import (
    copy_from_pattern,
    image_use,
    mount_from_pattern,
    mount_sources,
    syntax_directive,
)
from reprocheck.parsing.installers import parse_install
from reprocheck.parsing.shell import (
    ShellSyntaxError,
    cook,
    docker_words,
    expand_vars,
    parse_argv,
    parse_script,
)
from reprocheck.parsing.text import decode

KEYWORDS = frozenset(
    {
        "FROM",
        "RUN",
        "CMD",
        "LABEL",
        "MAINTAINER",
        "EXPOSE",
        "ENV",
        "ADD",
        "COPY",
        "ENTRYPOINT",
        "VOLUME",
        "USER",
        "WORKDIR",
        "ARG",
        "ONBUILD",
        "STOPSIGNAL",
        "HEALTHCHECK",
        "SHELL",
    }
)
# Arguments BuildKit provides without a declaration; FROM lines may use them.
PLATFORM_ARGS = frozenset(
    {
        "BUILDPLATFORM",
        "BUILDOS",
        "BUILDARCH",
        "BUILDVARIANT",
        "TARGETPLATFORM",
        "TARGETOS",
        "TARGETARCH",
        "TARGETVARIANT",
        "TARGETSTAGE",
        "BUILDKIT_SYNTAX",
    }
)
_ESCAPE_DIRECTIVE = re.compile(r"^\s*#\s*escape\s*=\s*(\\|`)\s*$", re.IGNORECASE)
_SYNTAX_DIRECTIVE = re.compile(r"^\s*#\s*syntax\s*=\s*(.*)\s*$", re.IGNORECASE)
_COMMENT = re.compile(r"^\s*#")
_HEREDOC = lazy(r"(?<!<)<<(-?)(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2")
_FLAG = re.compile(r"--([A-Za-z][\w-]*)(?:=((?:\"[^\"]*\"|'[^']*'|\S)*))?(?:\s+|$)")
_HEREDOC_KEYWORDS = ("RUN", "COPY", "ADD")


class _Heredoc(NamedTuple):
    delimiter: str
    strip_tabs: bool
    body: str


class _Prepared:
    __slots__ = ("escape", "heredoc_end", "heredocs", "issues", "masked", "text")

    def __init__(self, text: str, escape: str) -> None:
        self.text = text  # what dockerfile-parse reads
        self.escape = escape
        self.heredocs: dict[int, list[_Heredoc]] = {}  # 0-based start line -> bodies
        self.heredoc_end: dict[int, int] = {}  # 0-based start line -> last body line
        self.masked: set[int] = set()  # 0-based lines hidden from dockerfile-parse
        self.issues: list[ParseIssue] = []


def split_lines(text: str) -> list[str]:
    """Lines with their ``\\n`` kept, split at ``\\n`` only (``str.splitlines`` also splits at form feeds,
    ``\\r`` and Unicode separators, which Docker does not)."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


_INSTRUCTION = re.compile(r"^\s*(\S+)\s+(.*)$")  # dockerfile-parse: insnre
_COMMENT_PREFIX = re.compile(r"^\s*#\s*")


class _Entry(NamedTuple):
    keyword: str
    start: int  # 0-based lines
    end: int
    value: str


def _structure(lines: list[str], escape: str) -> list[_Entry]:
    """dockerfile-parse's ``DockerfileParser.structure``, in linear time: comments (also between
    continuation lines) and instructions with their continuation lines joined."""
    continues = re.compile(r"^.*" + re.escape(escape) + r"\s*$")

    def rstrip_eol(text: str) -> str:
        text = text.rstrip()
        return text[:-1] if text.endswith(escape) else text

    out: list[_Entry] = []
    in_cont = False
    keyword, start, parts, filled = "", -1, [], False  # the instruction being joined
    for lineno, line in enumerate(lines):
        if _COMMENT.match(line):
            out.append(_Entry("COMMENT", lineno, lineno, _COMMENT_PREFIX.sub("", line, count=1).replace("\n", "")))
            continue
        if not in_cont:
            m = _INSTRUCTION.match(line)
            if not m:
                continue
            keyword, start, parts = m.group(1).upper(), lineno, [rstrip_eol(m.group(2))]
            filled = bool(parts[0])
        elif filled:
            parts.append(rstrip_eol(line))
        else:
            parts = [rstrip_eol(line.lstrip())]
            filled = bool(parts[0])
        in_cont = continues.match(line) is not None
        if not in_cont:
            out.append(_Entry(keyword, start, lineno, "".join(parts)))
    return out  # an instruction still continued at the end of the file is dropped, as dockerfile-parse does


def _prepare(text: str) -> _Prepared:
    lines = split_lines(text)
    escape = "\\"
    k = 0
    while k < len(lines):  # parser directives, exactly as dockerfile-parse reads them
        m = _ESCAPE_DIRECTIVE.match(lines[k])
        if m:
            escape = m.group(1)
        elif not _SYNTAX_DIRECTIVE.match(lines[k]):
            break
        k += 1
    prep = _Prepared("", escape)
    out = list(lines)
    in_cont = False
    start = -1
    acc: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if _COMMENT.match(line):
            i += 1
            continue
        if in_cont and not stripped:
            out[i] = "#\n"  # BuildKit skips empty lines inside a continuation
            prep.masked.add(i)
            i += 1
            continue
        if not stripped:
            i += 1
            continue
        if not in_cont:
            start = i
            acc = []
        acc.append(line)
        in_cont = line.rstrip().endswith(escape)
        i += 1
        if in_cont:
            continue
        joined = "".join(acc)
        keyword = joined.split(None, 1)[0].upper() if joined.strip() else ""
        if keyword == "ONBUILD":
            rest = joined.split(None, 1)[1] if len(joined.split(None, 1)) > 1 else ""
            keyword = rest.split(None, 1)[0].upper() if rest.strip() else ""
        if keyword not in _HEREDOC_KEYWORDS or "<<" not in joined:
            continue
        docs: list[_Heredoc] = []
        for m in _HEREDOC.finditer(joined):
            body: list[str] = []
            closed = False
            while i < len(lines):
                raw = lines[i]
                out[i] = "#\n"
                prep.masked.add(i)
                i += 1
                check = raw.rstrip("\r\n")
                if m.group(1):
                    check = check.lstrip("\t")
                if check == m.group(3):
                    closed = True
                    break
                body.append(check)
            docs.append(_Heredoc(m.group(3), bool(m.group(1)), "\n".join(body)))
            if not closed:
                prep.issues.append(
                    ParseIssue(start + 1, f"here-document `<<{m.group(3)}` is not closed before the end of the file")
                )
        if docs:
            prep.heredocs[start] = docs
            prep.heredoc_end[start] = i - 1
    prep.text = "".join(out)
    return prep


def _split_flags(value: str) -> tuple[dict[str, str], str]:
    flags: dict[str, str] = {}
    rest = value.lstrip()
    while rest.startswith("--"):
        if rest.startswith("-- ") or rest == "--":
            rest = rest[2:].lstrip()
            break
        m = _FLAG.match(rest)
        if not m:
            break
        v = m.group(2) or ""
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
            v = v[1:-1]
        key = m.group(1).lower()
        flags[key] = f"{flags[key]}\n{v}" if key in flags else v  # --mount may repeat: one per line
        rest = rest[m.end() :]
    return flags, rest


_JSON_SPACE = " \t\n\r"


def _plain_string_array(text: str) -> list[str] | None:
    """``["python", "app.py"]``, the usual exec form, read as ``json.loads`` reads it: an array of strings
    without escapes, commas or control characters in them; None for anything else (json decides then)."""
    if not text.endswith("]"):
        return None
    inner = text[1:-1].strip(_JSON_SPACE)
    if not inner:
        return []
    out = []
    for item in inner.split(","):
        item = item.strip(_JSON_SPACE)
        body = item[1:-1]
        if len(item) < 2 or item[0] != '"' or item[-1] != '"' or '"' in body or "\\" in body:
            return None
        if not body.isprintable() and any(ord(c) < 0x20 for c in body):
            return None
        out.append(body)
    return out


def _json_argv(value: str) -> list[str] | None:
    """Exec form: a JSON array of strings. Anything else is shell form, as Docker decides."""
    text = value.strip()
    if not text.startswith("["):
        return None
    plain = _plain_string_array(text)
    if plain is not None:
        return plain
    import json  # exec forms with escapes, commas or nesting (importing json compiles six regexes)

    try:
        data = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, list) and all(isinstance(x, str) for x in data):
        return data
    return None


class _Vars:
    """ARG and ENV bindings with cheap snapshots. Each binding is appended to its name's history under a
    stamp; what an instruction sees is a view at the current stamp. A Dockerfile of 300,000 ENV and RUN
    lines would otherwise copy the whole scope for every instruction (quadratic time)."""

    __slots__ = ("_view", "hist", "stamp")

    def __init__(self, initial: Mapping[str, str | None] | None = None) -> None:
        self.hist: dict[str, tuple[list[int], list[str | None]]] = {}
        self.stamp = 0
        self._view: _VarsView | None = None
        for name, value in (initial or {}).items():
            self[name] = value

    def __setitem__(self, name: str, value: str | None) -> None:
        self.stamp += 1
        entry = self.hist.get(name)
        if entry is None:
            self.hist[name] = ([self.stamp], [value])
        else:
            entry[0].append(self.stamp)
            entry[1].append(value)

    def __contains__(self, name: object) -> bool:
        return name in self.hist

    def __getitem__(self, name: str) -> str | None:
        return self.hist[name][1][-1]

    def view(self) -> _VarsView:
        """The names bound to a value now, as a read-only mapping that later bindings do not change."""
        if self._view is None or self._view.stamp != self.stamp:
            self._view = _VarsView(self.hist, self.stamp)
        return self._view


class _VarsView(Mapping[str, str]):
    # the bindings' history, not the _Vars that caches this view: no reference cycle, so a parse leaves
    # nothing for the garbage collector (the lint loop runs with it off)
    __slots__ = ("hist", "stamp")

    def __init__(self, hist: dict[str, tuple[list[int], list[str | None]]], stamp: int) -> None:
        self.hist = hist
        self.stamp = stamp

    def _at(self, name: str) -> str | None:
        entry = self.hist.get(name)
        if entry is None:
            return None
        stamps, values = entry
        if stamps[-1] <= self.stamp:
            return values[-1]
        k = bisect.bisect_right(stamps, self.stamp) - 1
        return values[k] if k >= 0 else None

    def __getitem__(self, name: str) -> str:
        value = self._at(name)
        if value is None:
            raise KeyError(name)
        return value

    def __iter__(self) -> Iterator[str]:
        return (name for name in self.hist if self._at(name) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _StageState:
    __slots__ = ("env", "shell", "vars")

    def __init__(self, vars: Mapping[str, str | None] | None = None) -> None:
        self.vars = _Vars(vars)  # ARG and ENV in scope
        self.env: dict[str, str] = {}  # ENV only (inherited by child stages)
        self.shell: tuple[str, ...] = DEFAULT_SHELL

    def known(self) -> Mapping[str, str]:
        return self.vars.view()


class _Builder:
    def __init__(self, path: str, prep: _Prepared) -> None:
        self.path = path
        self.prep = prep
        self.instructions: list[Instruction] = []
        self.stages: list[Stage] = []
        self.states: list[_StageState] = []
        self.global_args = _Vars()
        self.aliases: dict[str, int] = {}
        self.issues: list[ParseIssue] = list(prep.issues)
        self.lines = split_lines(prep.text)
        self.has_from = False

    def _implicit_stage(self, line: int) -> None:
        """A file without FROM (a fragment meant to be appended to another Dockerfile): reported once,
        and its instructions linted as if they were one stage."""
        self.issue(line, "no FROM instruction: `docker build` cannot build this file on its own (a fragment?)")
        self.stages.append(Stage(0, line, None, ImageRef("", ""), None))
        self.states.append(_StageState(vars=self.global_args.view()))

    @property
    def stage(self) -> int:
        return len(self.stages) - 1

    def issue(self, line: int, message: str) -> None:
        self.issues.append(ParseIssue(line, message))

    def add(self, keyword: str, value: str, start: int, end: int, onbuild: bool = False) -> None:
        line = start + 1
        end_line = self.prep.heredoc_end.get(start, end) + 1
        index = len(self.instructions)
        if keyword not in KEYWORDS:
            self.issue(line, f"unknown instruction `{keyword}`")
            return
        if keyword == "ONBUILD":
            trigger = value.strip()
            if not trigger:
                self.issue(line, "ONBUILD needs an instruction")
                return
            kw, _, rest = trigger.partition(" ")
            kw = kw.upper()
            if kw in ("ONBUILD", "FROM", "MAINTAINER"):
                self.issue(line, f"`ONBUILD {kw}` is not allowed")
                return
            self.add(kw, rest, start, end, onbuild=True)
            return
        if keyword not in ("FROM", "ARG") and self.stage < 0:
            if self.has_from:
                self.issue(line, f"`{keyword}` before the first FROM: there is no build stage yet")
                return
            self._implicit_stage(line)
        flags, rest = _split_flags(value) if keyword in ("FROM", "RUN", "COPY", "ADD", "HEALTHCHECK") else ({}, value)
        docs = tuple(d.delimiter for d in self.prep.heredocs.get(start, ())) if not onbuild else ()
        common = {
            "keyword": keyword,
            "line": line,
            "end_line": end_line,
            "value": rest.strip(),
            "index": index,
            "stage": self.stage,
            "flags": flags,
            "onbuild": onbuild,
            "heredocs": docs,
        }
        node: Instruction | None
        if keyword == "FROM" and not onbuild:
            node = self._from(common, rest, flags, start)
        elif keyword == "RUN":
            node = self._run(common, rest, flags, start)
        elif keyword in ("COPY", "ADD"):
            node = self._copy(common, rest, flags, start)
        elif keyword in ("ARG", "ENV"):
            node = self._key_values(common, keyword, rest, onbuild)
        else:
            node = Instruction(**common)  # type: ignore[arg-type]
            if keyword == "SHELL" and not onbuild:
                argv = _json_argv(rest)
                if argv is None or not argv:
                    self.issue(line, 'SHELL needs a JSON array, for example SHELL ["/bin/bash", "-c"]')
                else:
                    self.states[self.stage].shell = tuple(argv)
        if node is not None:
            self.instructions.append(node)

    @staticmethod
    def _last_line(common: dict[str, object]) -> int:
        """0-based last source line of an instruction."""
        end = common["end_line"]
        assert isinstance(end, int)
        return end - 1

    def _from(self, common: dict[str, object], rest: str, flags: dict[str, str], start: int) -> Instruction | None:
        line = start + 1
        words = rest.split()
        alias: str | None = None
        if len(words) == 3 and words[1].lower() == "as":
            alias = words[2]
        elif len(words) != 1:
            self.issue(line, "FROM needs an image, optionally followed by `AS name`")
            return None
        written = words[0]
        raw = expand_vars(written, self.global_args.view())
        image = parse_image_ref(raw, written, self.aliases.keys())
        if image.unresolved:
            image = _with_unresolved(image, [v for v in image.unresolved if v not in PLATFORM_ARGS])
        parent = self.aliases.get(raw.lower()) if image.is_stage_ref else None
        state = _StageState()
        if parent is not None:
            state.env = dict(self.states[parent].env)
            state.vars = _Vars(state.env)
            state.shell = self.states[parent].shell
        index = len(self.stages)
        self.stages.append(Stage(index, line, alias, image, parent))
        self.states.append(state)
        if alias:
            self.aliases[alias.lower()] = index
        pos = self.lines[start].find(written) if start < len(self.lines) else -1
        column = pos + 1 if pos >= 0 else None
        common["stage"] = index
        return FromInstruction(
            **common,  # type: ignore[arg-type]
            image=image,
            alias=alias,
            platform=flags.get("platform"),
            column=column,
        )

    def _run(self, common: dict[str, object], rest: str, flags: dict[str, str], start: int) -> Instruction:
        line = start + 1
        index = int(common["index"])  # type: ignore[call-overload]
        state = self.states[self.stage]
        env = state.known()
        docs = self.prep.heredocs.get(start, [])
        argv = None if docs else _json_argv(rest)
        commands: list[ShellCommand] = []
        script: str | None = None
        if argv is not None:
            commands = parse_argv(tuple(argv), env, line, index)
        else:
            script = rest
            for doc in docs:
                script += "\n" + doc.body + "\n" + doc.delimiter
            if _posix_shell(state.shell):
                try:
                    commands = parse_script(script, env, line, index)
                except ShellSyntaxError as exc:
                    self.issue(line, f"RUN does not parse as shell: {exc}")
        installs: list[InstallCommand] = []
        for cmd in commands:
            inst = parse_install(cmd)
            if inst is not None:
                installs.append(inst)
        mounts: list[ImageUse] = []
        for written in mount_sources(flags.get("mount", "")) if not common["onbuild"] else ():
            where = (self.lines, start, self._last_line(common), mount_from_pattern(written))
            use = image_use(ImageKind.MOUNT_FROM, written, env, self.aliases, where, index)
            if use is not None:
                mounts.append(use)
        return RunInstruction(
            **common,  # type: ignore[arg-type]
            script=script,
            argv=tuple(argv or ()),
            shell=state.shell,
            commands=tuple(commands),
            installs=tuple(installs),
            env=env,
            mount_images=tuple(mounts),
        )

    def _copy(self, common: dict[str, object], rest: str, flags: dict[str, str], start: int) -> Instruction | None:
        line = start + 1
        env = self.states[self.stage].known()
        argv = _json_argv(rest)
        args = argv if argv is not None else rest.split()
        args = [expand_vars(a, env) for a in args]
        if argv is None:
            args = [a[1:-1] if len(a) >= 2 and a[0] == a[-1] and a[0] in "\"'" else a for a in args]
        if len(args) < 2:
            self.issue(line, f"{common['keyword']} needs at least one source and a destination")
            return None
        from_image = None
        written = flags.get("from")
        if written and common["keyword"] == "COPY" and not common["onbuild"]:
            where = (self.lines, start, self._last_line(common), copy_from_pattern(written))
            index = int(common["index"])  # type: ignore[call-overload]
            from_image = image_use(ImageKind.COPY_FROM, written, env, self.aliases, where, index)
        return CopyInstruction(
            **common,  # type: ignore[arg-type]
            sources=tuple(args[:-1]),
            dest=args[-1],
            from_stage=flags.get("from"),
            checksum=flags.get("checksum"),
            from_image=from_image,
        )

    def _key_values(self, common: dict[str, object], keyword: str, rest: str, onbuild: bool) -> Instruction | None:
        line = int(common["line"])  # type: ignore[call-overload]
        scope = self.states[self.stage] if self.stage >= 0 else None
        base = scope.known() if scope else self.global_args.view()
        local: dict[str, str] = {}  # names bound earlier on this line: `ENV A=1 B=$A`
        env = ChainMap(local, base)  # type: ignore[arg-type]
        words = docker_words(rest, self.prep.escape)
        pairs: list[tuple[str, str | None]] = []
        if not words:
            self.issue(line, f"{keyword} needs a name")
            return None
        if keyword == "ENV" and "=" not in words[0]:
            parts = rest.strip().split(None, 1)
            if len(parts) < 2:
                self.issue(line, f"ENV {parts[0]} needs a value (ENV name=value)")
                return None
            pairs.append((parts[0], cook(parts[1].strip(), env)))
        else:
            for w in words:
                name, eq, val = w.partition("=")
                if not name:
                    self.issue(line, f"{keyword} has a blank name")
                    return None
                if keyword == "ENV" and not eq:
                    self.issue(line, f"ENV `{w}` needs a value (ENV name=value)")
                    return None
                value = cook(val, env) if eq else None
                pairs.append((name, value))
                if value is not None:
                    local[name] = value
        if not onbuild:
            self._bind(keyword, pairs)
        return KeyValueInstruction(**common, pairs=tuple(pairs))  # type: ignore[arg-type]

    def _bind(self, keyword: str, pairs: list[tuple[str, str | None]]) -> None:
        if self.stage < 0:
            for name, value in pairs:
                self.global_args[name] = value
            return
        state = self.states[self.stage]
        for name, value in pairs:
            if keyword == "ENV":
                state.vars[name] = value
                state.env[name] = value or ""
            elif value is None and name in self.global_args:
                state.vars[name] = self.global_args[name]
            elif name not in state.env:
                state.vars[name] = value


def _with_unresolved(image: ImageRef, names: list[str]) -> ImageRef:
    from dataclasses import replace

    return replace(image, unresolved=tuple(names))


def _posix_shell(shell: tuple[str, ...]) -> bool:
    return bool(shell) and basename(shell[0]).lower() in SHELLS


# The last few Dockerfiles parsed, by content: one command reads the same Dockerfile in several places (lint,
# the BuildKit decision, the build context, verify's expectation, smoke's diagnosis, the failed-build line) and
# parses it once. Bounded, so a corpus lint keeps no more alive than it did; a lock, so the lint thread and the
# pipeline's thread share one parse instead of racing to two.
_PARSED: dict[bytes | str, Dockerfile] = {}
_PARSED_MAX = 8
_PARSED_BYTES = 1 << 20
_PARSE_LOCK = _thread.allocate_lock()
_PARSES = [0]


def parse_count() -> int:
    """How many Dockerfiles this process really parsed (cache hits not counted): for tests and benches."""
    return _PARSES[0]


def parse_dockerfile(data: bytes | str, path: str) -> Dockerfile:
    """Parse a Dockerfile. Problems become ``ParseIssue``s; this never raises on bad input. The same content
    read again (by any caller, under any shown path) is not parsed again."""
    with _PARSE_LOCK:
        df = _PARSED.get(data)
        if df is None:
            df = _parse(data, path)
            _PARSES[0] += 1
            if len(data) <= _PARSED_BYTES:  # a huge file is parsed again rather than kept alive
                if len(_PARSED) >= _PARSED_MAX:
                    del _PARSED[next(iter(_PARSED))]
                _PARSED[data] = df
    return df if df.path == path else replace(df, path=path)


def _parse(data: bytes | str, path: str) -> Dockerfile:
    issues: list[ParseIssue] = []
    if isinstance(data, bytes):
        decoded = decode(data)
        text = decoded.text
        if decoded.bad_line is not None:
            issues.append(ParseIssue(decoded.bad_line, "not valid UTF-8"))
    else:
        text = data
    prep = _prepare(text)
    structure = _structure(split_lines(prep.text), prep.escape)
    builder = _Builder(path, prep)
    builder.issues.extend(issues)
    comments: list[Comment] = []
    builder.has_from = any(e.keyword == "FROM" for e in structure)
    seen = 0
    for keyword, start, end, value in structure:
        if keyword == "COMMENT":
            if start not in prep.masked:
                comments.append(Comment(start + 1, value))
            continue
        seen += 1
        builder.add(keyword, value, start, end)
    if not seen:
        what = "the file is empty" if not text.strip() else "the file holds only comments"
        builder.issue(1, f"no instructions: {what}")
    line_count = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    return Dockerfile(
        path=path,
        instructions=tuple(builder.instructions),
        stages=tuple(builder.stages),
        comments=tuple(comments),
        issues=tuple(sorted(builder.issues, key=lambda i: i.line)),
        line_count=line_count,
        syntax=syntax_directive(text),
    )
