"""Item 3 of issue 26: `init` reads the image (ENTRYPOINT/CMD, EXPOSE, ENV PORT, a gunicorn/uvicorn/waitress
line) and proposes serve mode against the image's own server; smoke notes a `command` that replaces the
image's ENTRYPOINT. The trial's case: a gunicorn image with `ENV PORT`, and a predict.py beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from reprocheck.parsing.dockerfile import parse_dockerfile
from reprocheck.runtime.image_server import read_image_server
from reprocheck.runtime.scaffold import init
from reprocheck.smoke.spec import load_spec
from tests.conftest import run_cli

GUNICORN = """FROM python:3.9-slim
ENV PORT=8000
WORKDIR /app
COPY . .
EXPOSE 8000
CMD gunicorn --workers 2 --bind 0.0.0.0:$PORT app:app
"""


def _read(text: str):
    return read_image_server(parse_dockerfile(text, "Dockerfile"))


def test_a_gunicorn_image_with_env_port():
    found = _read(GUNICORN)
    assert found is not None
    assert (found.server, found.port, found.line) == ("gunicorn", 8000, 6)
    assert "ENV PORT=8000 (line 2)" in found.port_from
    assert found.host_argv == ("gunicorn", "--workers", "2", "--bind", "0.0.0.0:8000", "app:app")


@pytest.mark.parametrize(
    ("dockerfile", "server", "port"),
    [
        ('FROM a\nCMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "9000"]\n', "uvicorn", 9000),
        ("FROM a\nEXPOSE 8080\nCMD waitress-serve --listen=*:8080 app:app\n", "waitress-serve", 8080),
        ('FROM a\nEXPOSE 5000/tcp\nENTRYPOINT ["gunicorn"]\nCMD ["app:app"]\n', "gunicorn", 5000),
        ('FROM a\nCMD ["python", "predict.py"]\n', None, None),
    ],
)
def test_servers_and_ports_from_the_dockerfile(dockerfile: str, server: str | None, port: int | None):
    found = _read(dockerfile)
    assert found is not None and (found.server, found.port) == (server, port)


def test_init_proposes_serve_mode_against_the_images_server(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text(GUNICORN)
    (tmp_path / "predict.py").write_text("print(1)\n")  # the guess the trial's init made
    (tmp_path / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    done = init(tmp_path)
    assert done.detected.image is not None
    text = (tmp_path / "pyproject.toml").read_text()
    assert "predict.py" not in text and "No `command` here" in text
    spec = load_spec(None, tmp_path)
    assert spec.command == () and spec.serve is not None and spec.serve.port == 8000
    assert spec.serve.record_command == ("gunicorn", "--workers", "2", "--bind", "0.0.0.0:8000", "app:app")


def test_the_init_command_says_what_it_read(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text(GUNICORN)
    r = run_cli("init", str(tmp_path))
    assert (
        r.code == 0
        and "image's own server (gunicorn, port 8000 from `--bind 0.0.0.0:$PORT` and ENV PORT=8000 (line 2))" in r.out
    )


def test_record_command_is_checked(make_project):
    root = make_project(
        {
            "pyproject.toml": '[tool.reprocheck.smoke]\ngolden = "g.json"\n[tool.reprocheck.smoke.serve]\n'
            'port = 8000\nrecord-command = "gunicorn app:app"\n',
            "Dockerfile": "FROM a\n",
        }
    )
    r = run_cli("record", str(root))
    assert r.code == 2 and "pyproject.toml:5: error: smoke.serve.record-command" in r.err, r.err
