"""A POSIX/bash lexer and command-list parser for RUN instructions.

Why not bashlex: it costs ~135 ms to import (more than the whole cold-start budget of ``reprocheck lint``)
and rejects 63 of the 5,108 RUN instructions of the shared corpus (``[[ ]]``, here-documents after
``--mount``, ``case`` patterns). ``shlex`` knows no ``$'...'``, ``$(...)`` or here-documents. Linting only
needs the simple commands, their words with quotes removed, the pipelines that join them, and the scripts
nested in ``sh -c``, ``$(...)``, ``eval`` and here-documents; this module does exactly that and never
fails on syntax it does not model (compound commands are flattened into their simple commands).
The only errors raised are the ones the shell itself would raise: unterminated quotes and substitutions.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Mapping

from reprocheck.model.patterns import lazy
from reprocheck.model.shell import SHELLS, Redirect, ShellCommand, basename


class ShellSyntaxError(Exception):
    """The script would not parse in a POSIX shell either."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


_OPERATORS = (
    ";;&",
    "<<<",
    "<<-",
    "&>>",
    "&&",
    "||",
    ";;",
    ";&",
    "|&",
    "<<",
    ">>",
    "<&",
    ">&",
    "&>",
    ">|",
    "<>",
    ";",
    "|",
    "&",
    "(",
    ")",
    "<",
    ">",
)
_REDIRECTS = frozenset({"<", ">", ">>", "<<", "<<-", "<<<", "<&", ">&", "&>", "&>>", ">|", "<>"})
_SEPARATORS = frozenset({"&&", "||", ";", "&", ";;", ";&", ";;&", "\n"})
_PLAIN = lazy(r"[^\s'\"\\$`<>|&;()]+")
_BLANKS = re.compile(r"[ \t\r\f\v]+")
_OPERATOR = re.compile("|".join(re.escape(op) for op in _OPERATORS))  # longest first, as listed
# A word of plain characters that ends where a word ends: at a blank, a newline, an operator (but not at
# `<(`/`>(`, which continue a word) or the end. Anything else takes the character-by-character path.
_SIMPLE_WORD = re.compile(r"""[ \t\r\f\v]*([^\s'"\\$`<>|&;()#][^\s'"\\$`<>|&;()]*)(?=[\s|&;)]|[<>](?!\()|$)""")
_OP_START = frozenset("<>|&;()")
_ASSIGNMENT = lazy(r"[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?$")
_SKIP_WORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"})
_END_WORDS = frozenset({"fi", "done", "esac", "}"})


# Internal records are plain slotted classes: a dataclass costs ~0.5 ms to create at import time, and the
# start-up budget of `reprocheck lint` is 100 ms.
class _Heredoc:
    __slots__ = ("body", "delimiter", "strip_tabs")

    def __init__(self, delimiter: str, strip_tabs: bool) -> None:
        self.delimiter = delimiter
        self.strip_tabs = strip_tabs
        self.body = ""


_NO_SUBS: list[tuple[str, str]] = []  # shared by the tokens without substitutions: never appended to


class _Token:
    __slots__ = ("end", "heredoc", "kind", "start", "subs", "text")

    def __init__(self, kind: str, text: str, start: int, end: int, subs: list[tuple[str, str]] | None = None) -> None:
        self.kind = kind  # "word" | "op" | "newline"
        self.text = text
        self.start = start
        self.end = end
        self.subs: list[tuple[str, str]] = subs if subs is not None else _NO_SUBS
        self.heredoc: _Heredoc | None = None


def _find_closing(src: str, i: int, open_ch: str, close_ch: str) -> int:
    """Index just past the ``close_ch`` balancing an already consumed ``open_ch``; quotes respected."""
    depth = 1
    n = len(src)
    while i < n:
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            j = src.find("'", i + 1)
            if j < 0:
                raise ShellSyntaxError("unterminated single quote", i)
            i = j + 1
            continue
        if c == '"':
            i = _skip_double(src, i + 1)
            continue
        if c == "`":
            i = _skip_backtick(src, i + 1)
            continue
        if c == open_ch:
            depth += 1
        elif c == close_ch:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ShellSyntaxError(f"unterminated {open_ch!r} (missing {close_ch!r})", i)


def _skip_double(src: str, i: int) -> int:
    n = len(src)
    while i < n:
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i + 1
        if c == "$" and i + 1 < n and src[i + 1] in "({":
            i = _find_closing(src, i + 2, src[i + 1], ")" if src[i + 1] == "(" else "}")
            continue
        if c == "`":
            i = _skip_backtick(src, i + 1)
            continue
        i += 1
    raise ShellSyntaxError("unterminated double quote", i)


def _skip_backtick(src: str, i: int) -> int:
    n = len(src)
    while i < n:
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if c == "`":
            return i + 1
        i += 1
    raise ShellSyntaxError("unterminated backquote", i)


def _skip_ansi_c(src: str, i: int) -> int:
    n = len(src)
    while i < n:
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            return i + 1
        i += 1
    raise ShellSyntaxError("unterminated $'...' quote", i)


def _collect_subs(raw: str, subs: list[tuple[str, str]]) -> None:
    """Record the command substitutions nested in a double-quoted section."""
    i = 0
    n = len(raw)
    while i < n:
        c = raw[i]
        if c == "\\":
            i += 2
            continue
        if c == "$" and raw.startswith("$((", i):
            i = _find_closing(raw, i + 2, "(", ")")
            continue
        if c == "$" and i + 1 < n and raw[i + 1] == "(":
            end = _find_closing(raw, i + 2, "(", ")")
            subs.append(("$()", raw[i + 2 : end - 1]))
            i = end
            continue
        if c == "`":
            end = _skip_backtick(raw, i + 1)
            subs.append(("`", raw[i + 1 : end - 1]))
            i = end
            continue
        i += 1


def tokenize(src: str) -> list[_Token]:
    """Split a script into words, operators and newlines; raise ShellSyntaxError like a shell would."""
    tokens: list[_Token] = []
    pending: list[_Heredoc] = []
    expect_delim = False
    i = 0
    n = len(src)
    while i < n:
        if not expect_delim:
            fast = _SIMPLE_WORD.match(src, i)
            if fast is not None:  # the common word (after blanks): no quote, escape, expansion or operator
                start, i = fast.span(1)
                tokens.append(_Token("word", fast.group(1), start, i))
                continue
        c = src[i]
        if c in " \t\r\f\v":
            i = _BLANKS.match(src, i).end()  # type: ignore[union-attr]
            continue
        if c == "\\" and i + 1 < n and src[i + 1] == "\n":
            i += 2
            continue
        if c == "\n":
            tokens.append(_Token("newline", "\n", i, i + 1))
            i += 1
            if pending:
                i = _read_heredocs(src, i, pending)
                pending = []
            continue
        if c == "#":
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        if c in _OP_START and not (c in "<>" and i + 1 < n and src[i + 1] == "("):
            op = _OPERATOR.match(src, i).group()  # type: ignore[union-attr]
            tokens.append(_Token("op", op, i, i + len(op)))
            i += len(op)
            expect_delim = op in ("<<", "<<-")
            continue
        start = i
        subs: list[tuple[str, str]] = []
        while i < n:
            c = src[i]
            m = _PLAIN.match(src, i)
            if m:
                i = m.end()
                continue
            if c in " \t\r\n\f\v":
                break
            if c == "\\":
                if i + 1 < n and src[i + 1] == "\n":
                    i += 2  # line continuation inside a word
                    continue
                i += 2
                continue
            if c == "'":
                j = src.find("'", i + 1)
                if j < 0:
                    raise ShellSyntaxError("unterminated single quote", i)
                i = j + 1
                continue
            if c == '"':
                end = _skip_double(src, i + 1)
                _collect_subs(src[i + 1 : end - 1], subs)
                i = end
                continue
            if c == "`":
                end = _skip_backtick(src, i + 1)
                subs.append(("`", src[i + 1 : end - 1]))
                i = end
                continue
            if c == "$":
                nxt = src[i + 1] if i + 1 < n else ""
                if nxt == "'":
                    i = _skip_ansi_c(src, i + 2)
                elif src.startswith("$((", i):
                    i = _find_closing(src, i + 3, "(", ")")
                    if i < n and src[i] == ")":
                        i += 1
                elif nxt == "(":
                    end = _find_closing(src, i + 2, "(", ")")
                    subs.append(("$()", src[i + 2 : end - 1]))
                    i = end
                elif nxt == "{":
                    i = _find_closing(src, i + 2, "{", "}")
                elif nxt == '"':
                    i += 1  # $"..." locale string: the quote is handled next round
                else:
                    i += 1
                continue
            if c in "<>" and i + 1 < n and src[i + 1] == "(":
                end = _find_closing(src, i + 2, "(", ")")
                subs.append((c + "()", src[i + 2 : end - 1]))
                i = end
                continue
            if c == "(" and i > start and src[i - 1] in "=@!+*?":
                # array assignment a=(x y) or extended glob @(x|y)
                i = _find_closing(src, i + 1, "(", ")")
                continue
            break  # an operator character ends the word
        if i == start:  # a lone character we do not model; keep it as a word
            i += 1
        tok = _Token("word", src[start:i], start, i, subs)
        if expect_delim:
            text = tok.text
            prev = tokens[-1].text if tokens else "<<"
            doc = _Heredoc(_unquote_delimiter(text), prev == "<<-")
            tok.heredoc = doc
            pending.append(doc)
            expect_delim = False
        tokens.append(tok)
    if pending:
        # A here-document at the very end without its body; bash warns and runs it with what it has.
        pass
    return tokens


def _unquote_delimiter(text: str) -> str:
    return text.replace('"', "").replace("'", "").replace("\\", "")


def _read_heredocs(src: str, i: int, pending: list[_Heredoc]) -> int:
    """Consume here-document bodies after a newline; return the index after the last delimiter line."""
    n = len(src)
    for doc in pending:
        lines: list[str] = []
        while i < n:
            j = src.find("\n", i)
            line = src[i:] if j < 0 else src[i:j]
            i = n if j < 0 else j + 1
            check = line.lstrip("\t") if doc.strip_tabs else line
            if check.rstrip("\r") == doc.delimiter:
                break
            lines.append(check)
        doc.body = "\n".join(lines)
    return i


# ---------------------------------------------------------------------------------------------- expansion

_NAME = lazy(r"[A-Za-z_][A-Za-z0-9_]*")
_BRACED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=+?])(.*))?", re.DOTALL)
_ANSI_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a", "e": "\x1b"}


def _brace_end(text: str, i: int) -> int:
    """Index of the ``}`` closing a ``${`` whose body starts at ``i`` (nested ``${...}`` allowed), or -1."""
    depth = 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "$" and i + 1 < n and text[i + 1] == "{":
            depth += 1
            i += 2
            continue
        if c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


_MAX_NESTING = 16  # ${A:-${B:-...}} deeper than this is kept as written (each level rescans its text)


def _expand_braced(inner: str, whole: str, env: Mapping[str, str], depth: int) -> str:
    m = _BRACED.fullmatch(inner)
    if m is None:  # ${#x}, ${x%%.*}, ${x/a/b}: not modelled, kept as written
        return whole
    name, op, arg = m.group(1), m.group(2), m.group(3)
    value = env.get(name)
    if op is None:
        return value if value is not None else whole
    if op in (":-", ":="):
        return value if value else expand_vars(arg or "", env, depth + 1)
    if op in ("-", "="):
        return value if value is not None else expand_vars(arg or "", env, depth + 1)
    if op in (":+", "+"):
        if value is None:
            return whole
        return expand_vars(arg or "", env, depth + 1) if (value or op == "+") else ""
    return value if value is not None else whole


def expand_vars(text: str, env: Mapping[str, str], depth: int = 0) -> str:
    """Replace ``$X``, ``${X}``, ``${X:-default}`` and ``${X:+alt}`` forms whose value is known; keep the rest."""
    if "$" not in text or depth > _MAX_NESTING:
        return text
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "$" and i + 1 < n:
            if text[i + 1] == "{":
                end = _brace_end(text, i + 2)
                if end < 0:
                    out.append(text[i:])
                    break
                out.append(_expand_braced(text[i + 2 : end], text[i : end + 1], env, depth))
                i = end + 1
                continue
            m = _NAME.match(text, i + 1)
            if m:
                name = m.group(0)
                out.append(env[name] if name in env else text[i : m.end()])
                i = m.end()
                continue
        out.append(c)
        i += 1
    return "".join(out)


def docker_words(text: str, escape: str = "\\") -> list[str]:
    """Split an ENV/ARG/LABEL argument into words the way the Dockerfile parser does: on whitespace only,
    keeping quoted sections (quotes included) together. Shell operators are ordinary characters here."""
    words: list[str] = []
    cur: list[str] = []
    quote = ""
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == escape and quote != "'" and i + 1 < n:
            cur.append(c + text[i + 1])
            i += 2
            continue
        if quote:
            cur.append(c)
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
            cur.append(c)
        elif c.isspace():
            if cur:
                words.append("".join(cur))
                cur = []
        else:
            cur.append(c)
        i += 1
    if cur:
        words.append("".join(cur))
    return words


def cook(raw: str, env: Mapping[str, str]) -> str:
    """Quote removal and expansion of known variables for one word (what the program receives)."""
    if "$" not in raw and "'" not in raw and '"' not in raw and "\\" not in raw:
        return raw
    out: list[str] = []
    i = 0
    n = len(raw)
    while i < n:
        c = raw[i]
        if c == "\\":
            if i + 1 < n:
                out.append(raw[i + 1])
            i += 2
        elif c == "'":
            j = raw.find("'", i + 1)
            j = n if j < 0 else j
            out.append(raw[i + 1 : j])
            i = j + 1
        elif c == '"':
            end = _safe_end(_skip_double, raw, i + 1)
            inner = raw[i + 1 : end - 1]
            inner = re.sub(r'\\([$`"\\])', r"\1", inner)
            out.append(expand_vars(inner, env))
            i = end
        elif c == "$" and i + 1 < n and raw[i + 1] == "'":
            end = _safe_end(_skip_ansi_c, raw, i + 2)
            out.append(_ansi_c(raw[i + 2 : end - 1]))
            i = end
        elif c == "$":
            if raw.startswith("${", i):
                end = _brace_end(raw, i + 2)
                end = n - 1 if end < 0 else end
                out.append(expand_vars(raw[i : end + 1], env))
                i = end + 1
                continue
            m = _NAME.match(raw, i + 1)
            if m:
                out.append(expand_vars(raw[i : m.end()], env))
                i = m.end()
            else:
                out.append(c)
                i += 1
        else:
            m = _PLAIN.match(raw, i)
            if m:
                out.append(m.group(0))
                i = m.end()
            else:
                out.append(c)
                i += 1
    return "".join(out)


def _safe_end(skip: Callable[[str, int], int], raw: str, i: int) -> int:
    try:
        return skip(raw, i)
    except ShellSyntaxError:
        return len(raw) + 1


def _ansi_c(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ANSI_ESCAPES.get(m.group(1), m.group(1)), body)


# ------------------------------------------------------------------------------------------------ parsing

_WRAPPERS_NO_ARGS = frozenset({"sudo", "nohup", "exec", "command", "builtin", "eatmydata", "time", "nice"})


class _Raw:
    __slots__ = ("assignments", "redirects", "words")

    def __init__(self) -> None:
        self.words: list[_Token] = []
        self.assignments: list[str] = []
        self.redirects: list[tuple[str, _Token]] = []


class _Parser:
    def __init__(self, env: Mapping[str, str], line: int, instruction: int) -> None:
        self.env = env
        self.line = line
        self.instruction = instruction
        self.out: list[ShellCommand] = []

    # A pipeline is a list of raw commands; commands are emitted when the pipeline ends so that each
    # knows what reads its output.
    def parse(self, src: str, context: str, downstream: tuple[str, ...] = (), depth: int = 0) -> None:
        if depth > 8:
            return
        tokens = tokenize(src)
        pipeline: list[_Raw] = []
        cur = _Raw()
        i = 0
        n = len(tokens)
        case_patterns = 0  # >0 while inside case ... esac, expecting a pattern after ';;'
        expect_pattern = False

        def end_command() -> None:
            nonlocal cur
            if cur.words or cur.redirects or cur.assignments:
                pipeline.append(cur)
            cur = _Raw()

        def end_pipeline() -> None:
            end_command()
            self._emit_pipeline(pipeline, context, downstream, depth)
            pipeline.clear()

        while i < n:
            tok = tokens[i]
            if expect_pattern:
                # skip a case pattern up to its ')', or the closing esac
                if tok.kind == "word" and tok.text == "esac":
                    expect_pattern = False
                    case_patterns -= 1
                    i += 1
                    continue
                if tok.kind == "newline":
                    i += 1
                    continue
                while i < n and not (tokens[i].kind == "op" and tokens[i].text == ")"):
                    i += 1
                i += 1
                expect_pattern = False
                continue
            if tok.kind == "newline":
                end_pipeline()
                i += 1
                continue
            if tok.kind == "op":
                op = tok.text
                if op in ("|", "|&"):
                    end_command()
                elif op in (";;", ";&", ";;&"):
                    end_pipeline()
                    if case_patterns:
                        expect_pattern = True
                elif op in _SEPARATORS:
                    end_pipeline()
                elif op in _REDIRECTS:
                    target = tokens[i + 1] if i + 1 < n and tokens[i + 1].kind == "word" else None
                    if target is not None:
                        # a file-descriptor number written against the operator belongs to it
                        if cur.words and cur.words[-1].end == tok.start and cur.words[-1].text.isdigit():
                            cur.words.pop()
                        cur.redirects.append((op, target))
                        i += 1
                elif op == "(":
                    if cur.words and i + 1 < n and tokens[i + 1].text == ")":
                        # function definition name() { ... }
                        cur = _Raw()
                        i += 2
                        continue
                    if not cur.words and i + 1 < n and tokens[i + 1].text == "(":
                        # arithmetic command (( ... ))
                        depth_p = 0
                        while i < n:
                            if tokens[i].text == "(":
                                depth_p += 1
                            elif tokens[i].text == ")":
                                depth_p -= 1
                                if depth_p == 0:
                                    break
                            i += 1
                    else:
                        end_pipeline()
                elif op == ")":
                    end_pipeline()
                i += 1
                continue
            # a word
            text = tok.text
            if not cur.words:
                if text in _SKIP_WORDS:
                    i += 1
                    continue
                if text in _END_WORDS:
                    end_pipeline()
                    i += 1
                    continue
                if text == "function":
                    i += 2  # function NAME
                    continue
                if text in ("for", "select"):
                    # skip the loop header up to ';' or newline (or the whole (( )) form)
                    i += 1
                    while i < n and not (tokens[i].kind == "newline" or tokens[i].text in (";", "do")):
                        i += 1
                    continue
                if text == "case":
                    i += 1
                    while i < n and tokens[i].text != "in":
                        i += 1
                    i += 1
                    case_patterns += 1
                    expect_pattern = True
                    continue
                if text == "[[":
                    j = i
                    while j < n and tokens[j].text != "]]":
                        j += 1
                    cur.words.extend(t for t in tokens[i : j + 1] if t.kind == "word")
                    end_command()
                    i = j + 1
                    continue
                eq = text.find("=")
                if eq > 0 and _ASSIGNMENT.match(text, 0, eq):
                    cur.assignments.append(text)
                    self._nested_subs(tok, (), context, depth)
                    i += 1
                    continue
            cur.words.append(tok)
            i += 1
        end_pipeline()

    def _nested_subs(self, tok: _Token, downstream: tuple[str, ...], context: str, depth: int) -> None:
        for kind, inner in tok.subs:
            self._safe_parse(inner, kind, downstream, depth + 1)

    def _safe_parse(self, src: str, context: str, downstream: tuple[str, ...], depth: int) -> None:
        # A nested script that does not parse (often a template or an over-escaped string) is
        # not linted further; the enclosing command was already recorded.
        with contextlib.suppress(ShellSyntaxError):
            self.parse(src, context, downstream, depth)

    def _emit_pipeline(self, pipeline: list[_Raw], context: str, downstream: tuple[str, ...], depth: int) -> None:
        env = self.env
        cooked = [[cook(t.text, env) for t in raw.words] for raw in pipeline]
        names = [_command_name(words) for words in cooked]
        readers = _readers(names, downstream)
        for k, raw in enumerate(pipeline):
            argv = tuple(cooked[k])
            rest = readers[k]
            redirects = tuple(
                Redirect(op, cook(t.text, env), t.heredoc.body if t.heredoc else None) for op, t in raw.redirects
            )
            cmd = ShellCommand(
                argv=argv,
                line=self.line,
                instruction=self.instruction,
                raw=tuple(t.text for t in raw.words),
                assignments=tuple(raw.assignments),
                redirects=redirects,
                downstream=rest,
                context=context,
            )
            if argv:
                self.out.append(cmd)
            runs_script = names[k] in SHELLS and _shell_c_argument(argv) is not None
            for j, t in enumerate(raw.words):
                if runs_script:
                    break  # the -c script is parsed whole by _descend, substitutions included
                if t.subs:
                    # output of a substitution in command position is executed; elsewhere it is an argument
                    reader = ("sh",) if j == 0 else ((names[k],) if names[k] else ())
                    self._nested_subs(t, reader + rest, context, depth)
            for _op, t in raw.redirects:
                if t.subs:
                    self._nested_subs(t, (names[k],) if names[k] else (), context, depth)
            self._descend(cmd, depth)

    def _descend(self, cmd: ShellCommand, depth: int) -> None:
        """Parse the scripts a command runs: ``sh -c``, ``eval``, here-documents, wrappers like sudo."""
        argv = cmd.argv
        name = cmd.name
        if not argv:
            for r in cmd.redirects:
                if r.body is not None and r.op in ("<<", "<<-") and _is_shell_script(r.body):
                    self._safe_parse(r.body, "heredoc", (), depth + 1)
            return
        if name in SHELLS:
            script = _shell_c_argument(argv)
            if script is not None:
                self._safe_parse(script, "sh -c", cmd.downstream, depth + 1)
            elif len(argv) == 1 or all(a.startswith("-") for a in argv[1:]):
                for r in cmd.redirects:
                    if r.body is not None:
                        self._safe_parse(r.body, "heredoc", (), depth + 1)
            return
        if name in ("su", "runuser"):
            for k, a in enumerate(argv[:-1]):
                if a in ("-c", "--command"):
                    self._safe_parse(argv[k + 1], "sh -c", cmd.downstream, depth + 1)
            return
        if name == "eval":
            self._safe_parse(" ".join(argv[1:]), "eval", cmd.downstream, depth + 1)
            return
        inner = unwrap(argv)
        if inner is not None and inner:
            wrapped = ShellCommand(
                argv=inner,
                line=cmd.line,
                instruction=cmd.instruction,
                raw=inner,
                redirects=cmd.redirects,
                downstream=cmd.downstream,
                context="wrapper",
            )
            self.out.append(wrapped)
            self._descend(wrapped, depth + 1)


_MAX_READERS = 32


def _readers(names: list[str], downstream: tuple[str, ...]) -> list[tuple[str, ...]]:
    """For each command of a pipeline, the programs downstream of it: the later commands, then what reads
    the whole pipeline. Each program once, in order, at most ``_MAX_READERS`` of them: a pipeline of 16,000
    commands costs linear time, and the rules only ask whether (and which first) a shell or a checker reads
    the output."""
    out: list[tuple[str, ...]] = [()] * len(names)
    after = tuple(dict.fromkeys(downstream))[:_MAX_READERS]
    for k in range(len(names) - 1, -1, -1):
        out[k] = after
        if names[k]:
            after = (names[k], *(x for x in after if x != names[k]))[:_MAX_READERS]
    return out


def _command_name(words: list[str]) -> str:
    """The program that runs, seen through wrappers: ``sudo -E bash`` -> ``bash``."""
    if not words or words[0].startswith(("$(", "`")):
        return ""
    inner = unwrap(tuple(words))
    if inner:
        return _command_name(list(inner))
    return basename(words[0])


def _is_shell_script(body: str) -> bool:
    first = body.lstrip().split("\n", 1)[0]
    if not first.startswith("#!"):
        return True
    return basename(first[2:].split()[0] if first[2:].split() else "") in SHELLS or "sh" in first.split()[-1:]


def _shell_c_argument(argv: tuple[str, ...]) -> str | None:
    """The script of ``sh [options] -c SCRIPT`` (``-ec``, ``-euo pipefail -c``, ``-c -x`` included), else None."""
    has_c = False
    k = 1
    while k < len(argv):
        a = argv[k]
        if a == "--":
            k += 1
            break
        if a in ("--rcfile", "--init-file"):
            k += 2
            continue
        if a.startswith("--"):
            k += 1
            continue
        if a.startswith(("-", "+")) and len(a) > 1:
            skip = 0
            for ch in a[1:]:
                if ch == "c":
                    has_c = True
                elif ch == "o":
                    skip += 1  # -o takes an option name
            k += 1 + skip
            continue
        break
    if has_c and k < len(argv):
        return argv[k]
    return None


_WRAPPER_OPTS_WITH_ARG: dict[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "timeout": frozenset({"-s", "--signal", "-k", "--kill-after"}),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
    "xargs": frozenset({"-n", "-L", "-P", "-I", "-d", "-a", "-E", "-s", "--max-args", "--max-procs"}),
    "conda": frozenset({"-n", "--name", "-p", "--prefix", "--cwd"}),
    "mamba": frozenset({"-n", "--name", "-p", "--prefix", "--cwd"}),
    "micromamba": frozenset({"-n", "--name", "-p", "--prefix", "-r", "--root-prefix", "--cwd", "-a"}),
    "uv": frozenset(
        {
            "--with",
            "--python",
            "-p",
            "--project",
            "--directory",
            "--group",
            "--extra",
            "--env-file",
            "--package",
        }
    ),
    "poetry": frozenset({"-C", "--directory", "-P", "--project"}),
    "env": frozenset({"-u", "--unset", "-C", "--chdir", "-S"}),
}


def unwrap(argv: tuple[str, ...]) -> tuple[str, ...] | None:
    """The command a wrapper such as ``sudo``, ``env``, ``conda run`` or ``uv run`` executes, else None."""
    name = basename(argv[0])
    rest = argv[1:]
    if (
        name in _WRAPPERS_NO_ARGS
        or name in ("sudo", "nice", "env", "xargs", "stdbuf")
        or name == "timeout"
        or name == "retry"
    ):
        opts = _WRAPPER_OPTS_WITH_ARG.get(name, frozenset())
    elif name in ("gosu", "su-exec", "chroot"):
        return rest[1:] if len(rest) > 1 else None
    elif name in ("conda", "mamba", "micromamba", "uv", "poetry", "pipenv", "pdm", "hatch", "pixi"):
        if not rest or rest[0] != "run":
            return None
        rest = rest[1:]
        opts = _WRAPPER_OPTS_WITH_ARG.get(name, frozenset())
    else:
        return None
    k = 0
    while k < len(rest):
        a = rest[k]
        if a == "--":
            k += 1
            break
        if a in opts:
            k += 2
            continue
        if a.startswith("-"):
            k += 1
            continue
        if name == "env" and "=" in a:
            k += 1
            continue
        break
    inner = rest[k:]
    if name in ("timeout", "retry") and inner and re.fullmatch(r"[0-9.]+[smhd]?", inner[0]):
        inner = inner[1:]
    return inner or None


def parse_script(
    script: str, env: Mapping[str, str], line: int, instruction: int, context: str = ""
) -> list[ShellCommand]:
    """Parse a shell script into its simple commands (nested scripts included). Raises ShellSyntaxError."""
    p = _Parser(env, line, instruction)
    p.parse(script, context)
    return p.out


def parse_argv(argv: tuple[str, ...], env: Mapping[str, str], line: int, instruction: int) -> list[ShellCommand]:
    """The commands of an exec-form RUN: the argv itself, plus what it runs (``sh -c`` scripts and wrappers)."""
    p = _Parser(env, line, instruction)
    cmd = ShellCommand(argv=argv, line=line, instruction=instruction, raw=argv, context="exec")
    p.out.append(cmd)
    p._descend(cmd, 0)
    return p.out


def iter_words(script: str) -> Iterator[str]:
    """The raw words of a script (test helper and quick scans)."""
    for t in tokenize(script):
        if t.kind == "word":
            yield t.text
