"""Issue 12's detection gaps: images outside FROM, go run, pip2, download pipes without pipefail, the final
USER, and two false positives (VCS-only requirements, local npm tarballs)."""

from __future__ import annotations

import pytest

from tests.conftest import assert_catches, assert_passes, lint_text

D = "sha256:" + "a" * 64
BASE = f"FROM python:3.11.9-slim@{D}\n"


# ---- RC105 / RC106: images in COPY --from, RUN --mount from=, # syntax=
@pytest.mark.parametrize(
    ("text", "line"),
    [
        (BASE + "COPY --from=ghcr.io/astral-sh/uv:latest /uv /bin/\n", 2),
        (BASE + "COPY --from=nginx /etc/nginx /etc/nginx\n", 2),
        (BASE + "RUN --mount=type=bind,from=python,source=/x,target=/y true\n", 2),
        (BASE + "RUN --mount=type=cache,target=/c,from=busybox:latest true\n", 2),
        # reported on the line it is written on
        (BASE + "RUN --mount=type=secret,id=s \\\n    --mount=from=alpine,target=/a true\n", 3),
        ("# syntax=docker/dockerfile\n" + BASE, 1),
        ("# escape=`\n# syntax = docker/dockerfile:latest\n" + BASE, 2),
        ("ARG UV=ghcr.io/astral-sh/uv\n" + BASE + "ARG UV\nCOPY --from=${UV} /uv /bin/\n", 4),
    ],
)
def test_rc105_catches(text: str, line: int):
    assert_catches("RC105", text, line=line)


@pytest.mark.parametrize(
    "text",
    [
        BASE + f"COPY --from=ghcr.io/astral-sh/uv:latest@{D} /uv /bin/\n",
        BASE.replace("\n", " AS build\n") + "COPY --from=build /a /b\n",
        BASE.replace("\n", " AS Build\n") + "COPY --from=build /a /b\n",  # stage names ignore case
        BASE + "COPY --from=0 /a /b\n",
        BASE.replace("\n", " AS b\n") + "RUN --mount=type=bind,from=b,target=/y true\n",
        BASE + "COPY --from=ghcr.io/astral-sh/uv:0.5.31 /uv /bin/\n",  # RC106's
        BASE + "COPY --from=${UNSET} /uv /bin/\n",  # cannot be judged
        BASE + "ONBUILD COPY --from=img /a /b\n",  # resolved in the child build
        "# syntax=docker/dockerfile:1\n" + BASE,  # RC106's
        BASE + "# syntax=docker/dockerfile\nRUN true\n",  # not a directive after the first instruction
        "# a comment\n# syntax=docker/dockerfile\n" + BASE,  # directives end at the first comment
    ],
)
def test_rc105_passes(text: str):
    assert_passes("RC105", text)


def test_rc106():
    f = assert_catches("RC106", "# syntax=docker/dockerfile:1\n" + BASE, line=1)
    assert "docker/dockerfile:1" in f.message and f.location.column == 10
    assert_catches("RC106", BASE + "COPY --from=ghcr.io/astral-sh/uv:0.5.31 /uv /bin/\n", line=2)
    assert_catches("RC106", BASE + "RUN --mount=type=bind,from=python:3.11,target=/y true\n", line=2)
    assert_passes("RC106", f"# syntax=docker/dockerfile:1.7@{D}\n" + BASE)
    assert_passes("RC106", BASE + "COPY --from=ghcr.io/astral-sh/uv /uv /bin/\n")  # RC105's
    assert_passes("RC106", "FROM python:3.11\n")  # a FROM is RC102's


def test_rc104_holds_other_images_to_the_trusted_registries():
    opts = {"trusted-registries": ("registry.example.com",)}
    base = f"FROM registry.example.com/python:3.11@{D}\n"
    assert_catches("RC104", base + f"COPY --from=ghcr.io/o/uv:1@{D} /uv /bin/\n", line=2, options=opts)
    assert_catches("RC104", f"# syntax=docker/dockerfile:1@{D}\n" + base, line=1, options=opts)
    assert_passes("RC104", base + f"COPY --from=registry.example.com/uv:1@{D} /uv /bin/\n", options=opts)
    found = lint_text(f"FROM ghcr.io/o/base:1@{D}\n", ["RC104"], opts)
    assert len(found) == 1  # the FROM is reported once, not also as an image reference


# ---- RC107: the final stage's last USER
@pytest.mark.parametrize(
    ("text", "line"),
    [
        (BASE + "USER root\n", 2),
        (BASE + "USER app\nUSER 0\n", 3),
        (BASE + "USER root:root\n", 2),
        (BASE + "USER 0:0\n", 2),
        (BASE.replace("\n", " AS base\n") + "USER root\nFROM base\nRUN true\n", 2),  # inherited
    ],
)
def test_rc107_catches(text: str, line: int):
    assert_catches("RC107", text, line=line)


@pytest.mark.parametrize(
    "text",
    [
        BASE,  # no USER at all: the base image decides (RC815 checks the image)
        BASE + "USER root\nRUN true\nUSER app\n",
        BASE + "USER root\n" + BASE + "RUN true\n",  # an earlier, unrelated stage
        BASE + "USER ${RUN_AS}\n",
        BASE + "USER rootless\n",
        BASE + "ONBUILD USER root\n",
    ],
)
def test_rc107_passes(text: str):
    assert_passes("RC107", text)


# ---- RC404: go run; RC301: pip2
@pytest.mark.parametrize(
    "cmd",
    [
        "go run golang.org/x/tools/cmd/stringer@latest -type=Pill",
        "go run example.com/cmd/gen",
        "go run -mod=mod example.com/gen@main ./...",
        "go run -tags netgo example.com/gen@master",
    ],
)
def test_rc404_go_run(cmd: str):
    assert_catches("RC404", BASE + f"RUN {cmd}\n", line=2)


@pytest.mark.parametrize(
    "cmd",
    [
        "go run example.com/gen@v1.2.3 -flag=latest unpinned-arg",
        "go run .",
        "go run ./cmd/gen example.com/not-a-package",
        "go run main.go util.go example.com/arg",
        "go run",
        "go version",
    ],
)
def test_rc404_go_run_passes(cmd: str):
    assert_passes("RC404", BASE + f"RUN {cmd}\n")


@pytest.mark.parametrize("pip", ["pip2", "pip2.7", "pip3.11", "python2 -m pip2", "/usr/bin/pip2"])
def test_rc301_every_pip_name(pip: str):
    f = assert_catches("RC301", BASE + f"RUN {pip} install requests\n", line=2)
    assert "`requests`" in f.message
    assert_passes("RC301", BASE + f"RUN {pip} install requests==2.31.0\n")


def test_pip_lookalikes_are_not_pip():
    assert_passes("RC301", BASE + "RUN pip4 install x && pipx2 install y && pip-tools install z\n")


# ---- RC506: download piped without pipefail (hadolint DL4006)
@pytest.mark.parametrize(
    "run",
    [
        "RUN wget -O - https://example.com/a.tgz | tar xz",
        "RUN curl -fsSL https://example.com/key.asc | gpg --dearmor -o /k.gpg",
        "RUN apt-get update && curl -sSL $URL | tee /opt/x",
        'RUN sh -c "curl https://example.com/a | tar x"',
        "RUN set -e && curl https://example.com/a | tar x",
    ],
)
def test_rc506_catches(run: str):
    assert_catches("RC506", BASE + run + "\n", line=2)


@pytest.mark.parametrize(
    "run",
    [
        "RUN set -o pipefail && wget -O - https://example.com/a.tgz | tar xz",
        "RUN set -euxo pipefail; curl https://example.com/a | tar x",
        'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN curl https://example.com/a | tar x',
        'SHELL ["/bin/bash", "-eo", "pipefail", "-c"]\nRUN curl https://example.com/a | tar x',
        'RUN bash -o pipefail -c "curl https://example.com/a | tar x"',
        "RUN curl -o a.tgz https://example.com/a.tgz && tar xf a.tgz",
        "RUN curl https://example.com/install.sh | sh",  # RC503's
        "RUN echo $(curl https://example.com/v) > /v",
        "RUN curl --version | head -n1",
        "RUN tar c . | curl -T - https://example.com/upload",
    ],
)
def test_rc506_passes(run: str):
    assert_passes("RC506", BASE + run + "\n")


def test_rc506_pipefail_set_after_the_pipe_does_not_count():
    assert_catches("RC506", BASE + "RUN curl https://example.com/a | tar x && set -o pipefail\n", line=2)


# ---- false positives: local npm packages
@pytest.mark.parametrize(
    "spec",
    [
        "./pkg-1.2.3.tgz",
        "pkg-1.2.3.tgz",
        "/tmp/pkg-1.2.3.tar.gz",
        "../packages/shared",
        "file:../shared",
        "~/pkg",
        "$(npm pack)",
        "*.tgz",
    ],
)
def test_rc402_local_paths_and_tarballs_are_not_unpinned(spec: str):
    for tool in ("npm install", "npm i -g", "yarn add", "pnpm add"):
        assert_passes("RC402", BASE + f"RUN {tool} {spec}\n")


# ---- false positives: RC602 on VCS-only requirements
def _dep_findings(make_project, monkeypatch, files: dict[str, str], rule: str) -> list[tuple[str, int, str]]:
    from reprocheck.lint.run import LintOptions, lint_paths

    root = make_project({**files, ".git/HEAD": "ref: main\n"})
    monkeypatch.chdir(root)
    report = lint_paths(["."], LintOptions(isolated=True, select=(rule,)))
    return [(f.location.path, f.location.line, f.hint or "") for f in report.active]


def test_rc602_not_for_vcs_commits_only(make_project, monkeypatch):
    sha = "c" * 40
    files = {
        "a/requirements.txt": f"tool @ git+https://git.example.com/o/tool.git@{sha}\n"
        f"git+https://git.example.com/o/lib.git@{sha}#egg=lib\n",
        "b/requirements.txt": f"tool @ git+https://git.example.com/o/tool.git@{sha}\nsix==1.16.0\n",
    }
    found = _dep_findings(make_project, monkeypatch, files, "RC602")
    assert [(p, ln) for p, ln, _ in found] == [("b/requirements.txt", 2)]
    assert "VCS" in found[0][2]  # the hint says how to keep hashes working with the VCS entry


def test_gem_build_flags_after_double_dash_are_not_packages():
    assert_passes("RC403", BASE + "RUN gem install mysql2:0.5.6 -- --with-mysql-dir=/usr/local\n")
    assert_catches("RC403", BASE + "RUN gem install mysql2 -- --with-mysql-dir=/usr/local\n", line=2)


def test_rc506_pipefail_on_plain_sh_does_not_count():
    # /bin/sh may be a dash without pipefail; hadolint (DL4006) keeps warning there
    text = BASE + 'SHELL ["/bin/sh", "-o", "pipefail", "-c"]\nRUN wget -O - https://example.com/a | wc -l\n'
    assert_catches("RC506", text, line=3)
