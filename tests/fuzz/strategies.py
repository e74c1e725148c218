"""Hypothesis strategies for the fuzz suite: text that looks enough like each input format to reach deep
into its parser (known keys and keywords with values of any type, quotes, continuations, operators), mixed
with plain noise.

Bounded so that CI stays fast: ``FUZZ`` runs ``REPROCHECK_FUZZ_EXAMPLES`` examples per target (100 by
default); ``REPROCHECK_FUZZ_EXAMPLES=20000 pytest tests/fuzz`` is the long run (see CONTRIBUTING.md).
"""

from __future__ import annotations

import datetime
import json
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("REPROCHECK_FUZZ_EXAMPLES", "100"))
LONG = EXAMPLES > 200
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    derandomize=not LONG,  # CI runs the same examples every time; the long run explores (and remembers)
)
if not LONG:
    FUZZ = settings(FUZZ, database=None)

# ---- words and scalars

NAMES = st.sampled_from(
    ["numpy", "six", "torch", "a", "Pkg_1", "x.y", "-", "", "python", "pip", "requests[socks]", "é", "${X}", "$X"]
)
VERSIONS = st.sampled_from(
    ["1.0", "==1.2.3", ">=2", "^1.2", "~1.4", "*", "", "1" * 60, "1.0a1", "===x", "!=1", "9" * 5]
)
SPECIAL = st.sampled_from(list(" \t\\\"'`$(){}[]|&;<>#=*!?@:,.-_/~^\r\n\x00\x0c\u2028é"))
JUNK = st.text(alphabet=st.one_of(SPECIAL, st.characters(codec="utf-8")), max_size=40)
WORD = st.one_of(
    NAMES,
    VERSIONS,
    st.sampled_from(["--hash=sha256:" + "a" * 64, "git+https://h/o/r.git@" + "b" * 40, "https://h/f.whl", "./p"]),
    st.from_regex(r"[A-Za-z0-9_.\-=<>~^*$/:@]{0,12}", fullmatch=True),
    JUNK,
)


def scalar() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**20), max_value=10**20),
        st.floats(allow_nan=True, allow_infinity=True),
        WORD,
        st.dates(),
        st.datetimes(timezones=st.none() | st.just(datetime.UTC)),
    )


def anything(keys: list[str]) -> st.SearchStrategy[Any]:
    """Nested values whose table keys are mostly the format's own (so shape checks are reached)."""
    key = st.one_of(st.sampled_from(keys), NAMES) if keys else NAMES
    return st.recursive(
        scalar(),
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(key, inner, max_size=5)),
        max_leaves=8,
    )


# ---- TOML and JSON writers (no dependency): any Python value that TOML can hold


def toml_value(v: Any) -> str:
    if v is None:
        return '""'
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(v), repr(v))
    if isinstance(v, (datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(x)}" for k, x in v.items()) + "}"
    return json.dumps(str(v))


def toml_document(top: dict[str, Any], arrays: dict[str, list[dict[str, Any]]]) -> str:
    lines = [f"{json.dumps(k)} = {toml_value(v)}" for k, v in top.items()]
    for name, tables in arrays.items():
        for table in tables:
            lines.append(f"\n[[{name}]]")
            lines.extend(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"


def json_value(v: Any) -> Any:
    if isinstance(v, (datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, dict):
        return {str(k): json_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [json_value(x) for x in v]
    return v


# ---- formats

UV_KEYS = [
    "name",
    "version",
    "source",
    "sdist",
    "wheels",
    "dependencies",
    "optional-dependencies",
    "url",
    "hash",
    "dev-dependencies",
    "resolution-markers",
    "metadata",
    "requires-dist",
    "requires-dev",
    "extra",
    "marker",
    "registry",
    "editable",
    "virtual",
    "git",
    "filename",
    "path",
    "specifier",
    "extras",
]
POETRY_KEYS = [
    "name",
    "version",
    "files",
    "file",
    "hash",
    "source",
    "type",
    "groups",
    "category",
    "markers",
    "dependencies",
    "extras",
    "content-hash",
    "python-versions",
    "lock-version",
]
PYPROJECT_KEYS = [
    "project",
    "dependencies",
    "optional-dependencies",
    "requires-python",
    "dependency-groups",
    "include-group",
    "tool",
    "uv",
    "dev-dependencies",
    "poetry",
    "group",
    "python",
    "version",
    "git",
    "rev",
    "tag",
    "branch",
    "path",
    "url",
    "markers",
    "source",
    "extras",
]
PIPFILE_KEYS = [
    "packages",
    "dev-packages",
    "source",
    "url",
    "verify_ssl",
    "name",
    "requires",
    "python_version",
    "python_full_version",
    "version",
    "markers",
    "git",
    "ref",
    "path",
    "file",
    "editable",
    "_meta",
    "default",
    "develop",
    "hash",
    "sha256",
    "hashes",
    "sources",
    "index",
]
CONDA_KEYS = [
    "name",
    "channels",
    "dependencies",
    "pip",
    "version",
    "package",
    "url",
    "hash",
    "md5",
    "sha256",
    "manager",
    "platform",
    "category",
    "metadata",
    "platforms",
]


@st.composite
def uv_lock(draw: st.DrawFn) -> str:
    top = draw(
        st.dictionaries(
            st.sampled_from(["version", "requires-python", "revision", "package"]), anything(UV_KEYS), max_size=3
        )
    )
    packages = draw(st.lists(st.dictionaries(st.sampled_from(UV_KEYS), anything(UV_KEYS), max_size=8), max_size=4))
    return toml_document(top, {"package": packages} if "package" not in top else {})


@st.composite
def poetry_lock(draw: st.DrawFn) -> str:
    top = draw(st.dictionaries(st.sampled_from(["metadata", "package"]), anything(POETRY_KEYS), max_size=2))
    packages = draw(
        st.lists(st.dictionaries(st.sampled_from(POETRY_KEYS), anything(POETRY_KEYS), max_size=8), max_size=4)
    )
    return toml_document(top, {"package": packages} if "package" not in top else {})


@st.composite
def pyproject(draw: st.DrawFn) -> str:
    top = draw(
        st.dictionaries(
            st.sampled_from(["project", "dependency-groups", "tool", "build-system"]),
            anything(PYPROJECT_KEYS),
            max_size=3,
        )
    )
    return toml_document(top, {})


@st.composite
def pipfile(draw: st.DrawFn) -> str:
    top = draw(st.dictionaries(st.sampled_from(PIPFILE_KEYS[:9]), anything(PIPFILE_KEYS), max_size=4))
    return toml_document(top, {})


@st.composite
def pipfile_lock(draw: st.DrawFn) -> str:
    doc = draw(
        st.one_of(
            st.dictionaries(st.sampled_from(PIPFILE_KEYS), anything(PIPFILE_KEYS), max_size=4), anything(PIPFILE_KEYS)
        )
    )
    return json.dumps(json_value(doc), indent=draw(st.sampled_from([None, 2, 4])))


@st.composite
def conda_env(draw: st.DrawFn) -> str:
    import yaml

    doc = draw(
        st.one_of(st.dictionaries(st.sampled_from(CONDA_KEYS), anything(CONDA_KEYS), max_size=5), anything(CONDA_KEYS))
    )
    text: str = yaml.safe_dump(json_value(doc), allow_unicode=True)
    extra = draw(
        st.sampled_from(["", "", "x: &a [*a]\n", "y: &b {k: *b}\n", "  bad: [\n", "dependencies: !!python/x 1\n"])
    )
    return text + extra


@st.composite
def conda_explicit(draw: st.DrawFn) -> str:
    line = st.one_of(
        st.just("@EXPLICIT"),
        st.just("# platform: linux-64"),
        st.builds(
            lambda n, v, h: f"https://conda.anaconda.org/c/linux-64/{n}-{v}-h0_0.conda#{h}",
            NAMES,
            VERSIONS,
            st.sampled_from(["", "a" * 32, "b" * 64, "x"]),
        ),
        JUNK,
    )
    return "\n".join(draw(st.lists(line, max_size=8)))


REQ_OPTIONS = st.sampled_from(
    [
        "-r",
        "-c",
        "-e",
        "-i",
        "-f",
        "--index-url",
        "--extra-index-url=",
        "--hash=sha256:" + "c" * 64,
        "--hash",
        "--config-settings=k=v",
        "--config-settings",
        "-C",
        "--global-option=x",
        "--no-binary :all:",
        "--pre",
        "--require-hashes",
        "--trusted-host",
        "--bogus",
        "--use-feature=x",
        "-Cfoo",
        "--only-binary=:none:",
    ]
)


@st.composite
def requirements(draw: st.DrawFn) -> str:
    def line() -> st.SearchStrategy[str]:
        req = st.builds(
            lambda n, v, m: f"{n}{v}{m}",
            NAMES,
            VERSIONS,
            st.sampled_from(["", " ; python_version < '3.10'", ";", " ; bad marker", " @ https://h/x.whl"]),
        )
        parts = st.lists(st.one_of(req, REQ_OPTIONS, WORD), min_size=0, max_size=5).map(" ".join)
        tail = st.sampled_from(["", " # comment", " \\", "\\", "   ", "\t#x"])
        return st.builds(lambda p, t: p + t, parts, tail)

    header = draw(
        st.sampled_from(
            [
                "",
                "#\n# This file is autogenerated by pip-compile with Python 3.11\n"
                "#    pip-compile requirements.in\n#\n",
            ]
        )
    )
    return header + "\n".join(draw(st.lists(line(), max_size=10)))


SHELL_WORDS = st.one_of(
    WORD,
    st.sampled_from(
        [
            "&&",
            "||",
            "|",
            ";",
            "&",
            "(",
            ")",
            "{",
            "}",
            "$(",
            "`",
            "<<EOF",
            "<<-'X'",
            "EOF",
            "X",
            ">",
            "2>&1",
            "<(",
            "if",
            "then",
            "fi",
            "for",
            "in",
            "do",
            "done",
            "case",
            "esac",
            ";;",
            "[[",
            "]]",
            "sh -c",
            "bash -c",
            "sudo",
            "env",
            "pip install",
            "apt-get install -y",
            "curl -fsSL",
            "wget -O -",
            "git clone",
            "cd",
            "eval",
            "${A:-",
            "}",
            "$'",
            "'",
            '"',
            "\\\n",
            "\n",
            "#",
            "python -m pip install",
            "uv pip install",
            "conda install",
            "npm install",
            "go install",
            "cargo install",
            "poetry install",
            "uv sync",
        ]
    ),
)
SHELL_SCRIPT = st.lists(SHELL_WORDS, max_size=20).map(" ".join)

INSTRUCTIONS = st.sampled_from(
    [
        "FROM",
        "RUN",
        "COPY",
        "ADD",
        "ENV",
        "ARG",
        "WORKDIR",
        "USER",
        "CMD",
        "ENTRYPOINT",
        "LABEL",
        "SHELL",
        "ONBUILD",
        "HEALTHCHECK",
        "EXPOSE",
        "VOLUME",
        "STOPSIGNAL",
        "MAINTAINER",
        "from",
        "run",
        "BOGUS",
        "",
    ]
)
FLAGS = st.sampled_from(
    [
        "",
        "--platform=linux/arm64 ",
        "--mount=type=bind,target=/r,source=requirements.txt ",
        "--from=build ",
        "--chmod=755 ",
        "--mount=type=cache,target=/root/.cache ",
        "--link ",
        "--chown=1:1 ",
        "--network=none ",
        "--checksum=sha256:" + "d" * 64 + " ",
        "--mount=from=python:3.11,target=/x ",
        "--",
    ]
)


@st.composite
def dockerfile(draw: st.DrawFn) -> str:
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["# syntax=docker/dockerfile:1", "# escape=`", "# escape=\\", "#"])))
    if draw(st.booleans()):
        lines.append(
            draw(
                st.sampled_from(
                    [
                        "FROM python:3.11-slim AS build",
                        "FROM scratch",
                        "FROM ${BASE}",
                        "ARG BASE=python:3.11",
                        "FROM build AS final",
                    ]
                )
            )
        )
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        keyword = draw(INSTRUCTIONS)
        if keyword.upper() == "RUN" and draw(st.booleans()):
            body = draw(SHELL_SCRIPT)
        elif keyword.upper() in ("COPY", "ADD") and draw(st.booleans()):
            body = (
                " ".join(
                    draw(
                        st.lists(
                            st.sampled_from(
                                [
                                    "requirements.txt",
                                    "uv.lock",
                                    "pyproject.toml",
                                    ".",
                                    "src/",
                                    "*.txt",
                                    "../x",
                                    "/abs",
                                    "Pipfile*",
                                ]
                            ),
                            min_size=1,
                            max_size=3,
                        )
                    )
                )
                + " "
                + draw(st.sampled_from(["/app/", ".", "x"]))
            )
        elif keyword.upper() in ("ENV", "ARG", "LABEL") and draw(st.booleans()):
            body = " ".join(f"{k}={v}" for k, v in draw(st.lists(st.tuples(NAMES, WORD), max_size=3)))
        else:
            body = " ".join(draw(st.lists(WORD, max_size=5)))
        line = f"{keyword} {draw(FLAGS)}{body}"
        lines.append(line)
        cont = draw(st.sampled_from(["", "", "", " \\", "\\", " `", " <<EOF", " <<-X"]))
        if cont:
            lines[-1] += cont
            lines.extend(
                draw(st.lists(st.one_of(SHELL_SCRIPT, st.sampled_from(["", "EOF", "\tX", "# c"])), max_size=3))
            )
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(JUNK))
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    return newline.join(lines) + draw(st.sampled_from(["", newline]))
