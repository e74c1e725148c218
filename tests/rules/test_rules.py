"""hadolint-style one-liners: each rule alone, with the line it must point at."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import assert_catches, assert_passes, lint_text

D = "sha256:" + "a" * 64
BASE = f"FROM python:3.11.9-slim@{D}\n"


# ---- RC1 base images
@pytest.mark.parametrize(
    "text",
    [
        "FROM python\n",
        "FROM python:latest\n",
        "FROM ghcr.io/o/img\n",
        "ARG B=python\nFROM $B\n",
        "FROM --platform=$BUILDPLATFORM debian AS x\n",
    ],
)
def test_rc101_catches(text: str):
    assert_catches("RC101", text, line=text.count("\n"))


@pytest.mark.parametrize(
    "text",
    [
        "FROM scratch\n",
        f"FROM python@{D}\n",
        f"FROM python:latest@{D}\n",
        "FROM python:3.11\n",
        "FROM python:3.11 AS build\nFROM build\n",
        "ARG B\nFROM $B\n",
    ],
)
def test_rc101_passes(text: str):
    assert_passes("RC101", text)


def test_rc102():
    assert_catches("RC102", "FROM python:3.11-slim\n", line=1)
    assert_catches("RC102", "ARG V=3.11\nFROM python:${V}-slim AS b\n", line=2)
    assert_passes("RC102", f"FROM python:3.11-slim@{D}\n")
    assert_passes("RC102", "FROM python\n")  # RC101's finding, not RC102's


def test_rc103():
    f = assert_catches("RC103", "ARG BASE\nFROM ${BASE}\n", line=2)
    assert "`BASE`" in f.message
    assert_passes("RC103", "ARG BASE=python:3.11\nFROM ${BASE}\n")
    assert_passes("RC103", "FROM base-${TARGETARCH}:1\n")


def test_rc104_only_when_configured():
    opts = {"trusted-registries": ("registry.example.com",)}
    assert_catches("RC104", "FROM python:3.11\n", options=opts)
    assert_passes("RC104", "FROM registry.example.com/python:3.11\n", options=opts)
    assert_passes("RC104", "FROM ghcr.io/x/y:1\n")
    assert_passes("RC104", "FROM python:3.11\n", options={"trusted-registries": ("docker.io",)})


# ---- RC2 OS packages
def test_rc201():
    f = assert_catches(
        "RC201",
        BASE + "RUN apt-get update && \\\n  apt-get install -y --no-install-recommends curl git=1:2.39\n",
        line=2,
    )
    assert "`curl`" in f.message and "git" not in f.message
    assert_passes("RC201", BASE + "RUN apt-get install -y curl=7.88.1 ./local.deb $PKGS\n")


def test_rc202_rc203():
    assert_catches("RC202", BASE + "RUN apk add --no-cache --virtual .deps curl\n", line=2)
    assert_passes("RC202", BASE + "RUN apk add --no-cache --virtual .deps curl=8.5.0-r0\n")
    assert_catches("RC203", BASE + "RUN yum install -y curl && yum clean all\n", line=2)
    assert_catches("RC203", BASE + "RUN zypper in -y curl\n", line=2)
    assert_passes("RC203", BASE + "RUN dnf install -y curl-7.76.1-26.el9\n")


def test_rc204():
    for cmd in ("apt-get upgrade -y", "apt-get dist-upgrade", "apk upgrade", "dnf update -y", "zypper dup"):
        assert_catches("RC204", BASE + f"RUN {cmd}\n", line=2)
    assert_passes("RC204", BASE + "RUN apt-get update\n")


# ---- RC3 Python
@pytest.mark.parametrize(
    "cmd",
    [
        "pip install numpy",
        "pip install 'numpy>=1.24'",
        "pip install numpy~=1.24",
        "pip install -U pip",
        "python -m pip install --upgrade pip setuptools",
        "uv pip install --system torch",
        "pip3 install numpy==1.*",
        "pipx install ruff",
        "sh -c 'pip install x'",
        "conda run -n base pip install y",
    ],
)
def test_rc301_catches_what_hadolint_accepts_too(cmd: str):
    assert_catches("RC301", BASE + f"RUN {cmd}\n", line=2)


@pytest.mark.parametrize(
    "cmd",
    [
        "pip install numpy==1.26.4",
        "pip install -r requirements.txt",
        "pip install .",
        "pip install ./x.whl",
        "pip install --no-index --find-links /wheels numpy",
        "pip install numpy==${V}",
        "pip install $PKGS",
        "pip install https://h/x-1.0-py3-none-any.whl",
        "pip uninstall -y numpy",
        "pip install -e .",
    ],
)
def test_rc301_passes(cmd: str):
    assert_passes("RC301", BASE + f"ARG V=1.0\nRUN {cmd}\n")


def test_rc301_resolves_arg_defaults():
    assert_passes("RC301", BASE + "ARG NUMPY=1.26.4\nRUN pip install numpy==$NUMPY\n")
    assert_catches("RC301", BASE + "ARG NUMPY='>=1.2'\nRUN pip install numpy$NUMPY\n", line=3)


def test_rc301_upgrade_pip_hint():
    f = assert_catches("RC301", BASE + "RUN pip install --upgrade pip\n")
    assert f.hint and "pip==" in f.hint


def test_rc302():
    assert_catches("RC302", BASE + "RUN pip install git+https://github.com/o/r.git@v1.0\n", line=2)
    assert_catches("RC302", BASE + 'RUN pip install "r @ git+https://github.com/o/r.git"\n', line=2)
    assert_passes("RC302", BASE + "RUN pip install git+https://github.com/o/r.git@" + "b" * 40 + "\n")


# ---- RC4 other installers
def test_rc401():
    assert_catches("RC401", BASE + "RUN conda install -y python=3.11 numpy\n", line=2)
    assert_catches("RC401", BASE + "RUN conda update --all -y\n", line=2)
    assert_passes("RC401", BASE + "RUN mamba install -y numpy==1.26.4 python=3.11.9\n")
    assert_passes("RC401", BASE + "RUN conda env create -f environment.yml\n")


def test_rc402_to_rc405():
    assert_catches("RC402", BASE + "RUN npm install -g pm2\n", line=2)
    assert_catches("RC402", BASE + "RUN yarn global add serve@^14\n", line=2)
    assert_passes("RC402", BASE + "RUN npm install -g pm2@5.3.1 && npm ci\n")
    assert_catches("RC403", BASE + "RUN gem install bundler\n", line=2)
    assert_passes("RC403", BASE + "RUN gem install bundler -v 2.5.9\n")
    assert_catches("RC404", BASE + "RUN go install golang.org/x/tools/gopls@latest\n", line=2)
    assert_passes("RC404", BASE + "RUN go install golang.org/x/tools/gopls@v0.15.3\n")
    assert_catches("RC405", BASE + "RUN cargo install ripgrep\n", line=2)
    assert_passes("RC405", BASE + "RUN cargo install ripgrep@14.1.0\n")


# ---- RC5 downloads and sources
def test_rc501():
    assert_catches("RC501", BASE + "ADD https://example.com/model.onnx /m/\n", line=2)
    assert_catches("RC501", BASE + "ADD https://github.com/o/r.git#v1 /src\n", line=2)
    assert_passes("RC501", BASE + "ADD --checksum=sha256:" + "c" * 64 + " https://example.com/model.onnx /m/\n")
    assert_passes("RC501", BASE + "ADD https://github.com/o/r.git#" + "d" * 40 + " /src\n")
    assert_passes("RC501", BASE + "ADD model.tar.gz /m/\nCOPY https.txt /x\n")


@pytest.mark.parametrize(
    "run",
    [
        "curl -fsSLo /m.bin https://e.com/m.bin",
        "wget https://e.com/m.tgz && tar xzf m.tgz",
        "curl -sL https://e.com/a.tgz | tar xz",
    ],
)
def test_rc502_catches(run: str):
    assert_catches("RC502", BASE + f"RUN {run}\n", line=2)


@pytest.mark.parametrize(
    "run",
    [
        'curl -fsSLo /m.bin https://e.com/m.bin && echo "$S  /m.bin" | sha256sum -c -',
        "wget -q https://e.com/m.tgz https://e.com/m.tgz.asc && gpg --verify m.tgz.asc m.tgz",
        '[ "$(sha256sum m.bin | cut -d" " -f1)" = "$S" ] || exit 1; curl -o m.bin https://e.com/m',
        "curl -fsSL https://e.com/i.sh | sh",
        "curl --version",
    ],
)
def test_rc502_passes(run: str):
    assert_passes("RC502", BASE + f"RUN {run}\n")


@pytest.mark.parametrize(
    "run",
    [
        "curl -fsSL https://e.com/i.sh | sh",
        "wget -qO- https://e.com/i.sh | sudo bash -s --",
        'sh -c "$(curl -fsSL https://e.com/i.sh)"',
        "bash <(curl -s https://e.com/i.sh)",
        "curl -sSL https://e.com/get-pip.py | python3 -",
    ],
)
def test_rc503(run: str):
    assert_catches("RC503", BASE + f"RUN {run}\n", line=2)


def test_rc503_passes_on_non_shell_pipes():
    assert_passes("RC503", BASE + "RUN curl -fsSL https://e.com/k.gpg | gpg --dearmor -o /k.gpg\n")


def test_rc504():
    assert_catches("RC504", BASE + "RUN git clone https://github.com/o/r.git /r\n", line=2)
    assert_catches("RC504", BASE + "RUN git clone --depth 1 -b v1.0 https://github.com/o/r.git\n", line=2)
    assert_catches("RC504", BASE + "RUN git clone https://g/o/r && cd r && git checkout main\n", line=2)
    sha = "e" * 40
    assert_passes("RC504", BASE + f"RUN git clone https://g/o/r /r && git -C /r checkout {sha}\n")
    assert_passes("RC504", BASE + f"ARG C={sha}\nRUN git clone https://g/o/r /r\nWORKDIR /r\nRUN git reset --hard $C\n")
    assert_passes("RC504", BASE + "ARG COMMIT\nRUN git clone https://g/o/r /r && git -C /r checkout ${COMMIT}\n")


def test_rc505():
    assert_catches("RC505", BASE + "RUN huggingface-cli download org/model --local-dir /m\n", line=2)
    assert_catches("RC505", BASE + "RUN hf download org/model --revision main\n", line=2)
    assert_catches(
        "RC505",
        BASE + "RUN python -c \"from transformers import AutoModel; AutoModel.from_pretrained('bert-base-uncased')\"\n",
        line=2,
    )
    sha = "f" * 40
    assert_passes("RC505", BASE + f"RUN huggingface-cli download org/model --revision {sha}\n")
    assert_passes(
        "RC505",
        BASE + f"RUN python -c \"from huggingface_hub import snapshot_download as s; s('o/m', revision='{sha}')\"\n",
    )


def test_rc511_rc512():
    assert_catches("RC511", BASE + "RUN pip install --extra-index-url https://x/simple a==1\n", line=2)
    assert_catches("RC511", BASE + "ENV PIP_EXTRA_INDEX_URL=https://x/simple\n", line=2)
    assert_catches("RC511", BASE + "RUN pip config set global.extra-index-url https://x/simple\n", line=2)
    assert_passes("RC511", BASE + "RUN pip install --index-url https://x/simple a==1\n")
    assert_catches("RC512", BASE + "RUN pip install --trusted-host x a==1\n", line=2)
    assert_catches("RC512", BASE + "ENV PIP_TRUSTED_HOST=x\n", line=2)
    assert_passes("RC512", BASE + "RUN pip install a==1\n")


@pytest.mark.parametrize(
    "text",
    [
        "COPY pyproject.toml uv.lock ./\nRUN uv sync\n",
        "RUN uv run python app.py\n",
        "COPY Pipfile Pipfile.lock ./\nRUN pipenv install --system\n",
        "COPY pyproject.toml ./\nRUN poetry install\n",
        "COPY package.json package-lock.json ./\nRUN npm install\n",
        "RUN yarn install\n",
    ],
)
def test_rc513_catches(text: str):
    assert_catches("RC513", BASE + text)


@pytest.mark.parametrize(
    "text",
    [
        "COPY pyproject.toml uv.lock ./\nRUN uv sync --locked\n",
        "RUN uv run --frozen python app.py\n",
        "RUN pipenv install --deploy --system\n",
        "COPY pyproject.toml poetry.lock ./\nRUN poetry install\n",
        "COPY . /app\nRUN poetry install\n",
        "RUN --mount=type=bind,source=poetry.lock,target=poetry.lock poetry install\n",
        "RUN npm ci\n",
        "RUN yarn install --frozen-lockfile\n",
    ],
)
def test_rc513_passes(text: str):
    assert_passes("RC513", BASE + text)


def test_rc514():
    for cmd in (
        "poetry lock",
        "uv lock",
        "pipenv lock",
        "pip-compile requirements.in",
        "poetry add numpy",
        "pipenv install numpy",
    ):
        assert_catches("RC514", BASE + f"RUN {cmd}\n", line=2)
    for cmd in ("poetry check --lock", "uv lock --check", "uv lock --locked", "poetry install"):
        assert_passes("RC514", BASE + f"RUN {cmd}\n")


def test_rc900_and_rc901():
    assert_catches("RC900", BASE + "RUN echo 'x\n", line=2)
    assert_catches("RC901", BASE + "# reprocheck: ignore=RC999\nRUN true\n", line=2)
    assert_passes("RC901", BASE + "# reprocheck: ignore=RC3,pip-install-unpinned\nRUN true\n")


def test_one_finding_per_command_lists_packages():
    (f,) = lint_text(BASE + "RUN apt-get install -y a b c d e f\n", ["RC201"])
    assert "6 packages" in f.message and "and 2 more" in f.message


@pytest.mark.skipif(shutil.which("hadolint") is None, reason="hadolint is not installed")
def test_stricter_than_hadolint_on_pins_it_accepts(tmp_path):
    """hadolint accepts these as pinned; reprocheck does not."""
    for cmd in (
        "pip install 'numpy>=1.24'",
        "pip install numpy~=1.24",
        "pip install git+https://github.com/o/r.git@main",
    ):
        text = BASE + f"RUN {cmd}\n"
        path = tmp_path / "Dockerfile"
        path.write_text(text)
        out = subprocess.run(["hadolint", "--no-fail", "-f", "json", str(path)], capture_output=True, text=True).stdout
        assert "DL3013" not in out, cmd
        assert any(f.rule in ("RC301", "RC302") for f in lint_text(text, ["RC301", "RC302"])), cmd
