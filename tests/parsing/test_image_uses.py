"""Every image a Dockerfile pulls, with the exact span a rewrite needs (``Dockerfile.image_refs()``)."""

from __future__ import annotations

from reprocheck.model.dockerfile import ImageKind
from reprocheck.parsing.dockerfile import parse_dockerfile

TEXT = """\
# syntax = docker/dockerfile:1.7
ARG BASE=python:3.11-slim
FROM ${BASE} AS build
FROM  debian:12 AS final
COPY --from=build /a /b
COPY --from=1 /a /b
COPY --link --from="ghcr.io/astral-sh/uv:latest" /uv /bin/
RUN --mount=type=cache,target=/root/.cache \\
    --mount=type=bind,from=busybox:1.36,source=/bin,target=/mnt \\
    --mount=type=bind,from=final,target=/f true
FROM scratch
COPY --from=build /x /x
"""


def test_image_refs_in_file_order_with_spans():
    df = parse_dockerfile(TEXT, "Dockerfile")
    lines = TEXT.splitlines()
    refs = df.image_refs()
    assert [(r.kind, r.image.raw, r.line) for r in refs] == [
        (ImageKind.SYNTAX, "docker/dockerfile:1.7", 1),
        (ImageKind.FROM, "python:3.11-slim", 3),
        (ImageKind.FROM, "debian:12", 4),
        (ImageKind.COPY_FROM, "ghcr.io/astral-sh/uv:latest", 7),
        (ImageKind.MOUNT_FROM, "busybox:1.36", 9),
    ]
    for r in refs:
        assert r.column is not None and r.end_column is not None
        assert lines[r.line - 1][r.column - 1 : r.end_column - 1] == r.image.written
    assert refs[1].image.written == "${BASE}"  # from an ARG: a rewrite must go to the ARG default
    assert [r.instruction for r in refs] == [-1, 1, 2, 5, 6]
    assert df.instructions[5].keyword == "COPY" and df.instructions[6].keyword == "RUN"


def test_kinds_compare_as_strings():
    df = parse_dockerfile("FROM python:3.11\nCOPY --from=uv:1 /uv /uv\n", "Dockerfile")
    assert [r.kind for r in df.image_refs()] == ["from", "copy-from"]


def test_no_syntax_directive_after_other_lines():
    assert parse_dockerfile("\n# syntax=docker/dockerfile:1\nFROM a\n", "D").syntax is None
    assert parse_dockerfile("FROM a\n# syntax=docker/dockerfile:1\n", "D").syntax is None
    assert parse_dockerfile("# check=skip=all\n# syntax=docker/dockerfile:1\nFROM a\n", "D").syntax is not None
