"""Item 4 of issue 26: never silent, never without the server's words. The trial's case: a server that listens
on 127.0.0.1:8000 where the request cannot reach it; record waited 60 s printing nothing, then failed without
quoting the server's own line."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest

from reprocheck.smoke.readiness import Ticker, advice, listen_address
from tests.conftest import run_cli


@pytest.mark.parametrize(
    ("output", "address"),
    [
        ("[2026-12-07 10:00:00 +0000] [7] [INFO] Listening at: http://127.0.0.1:8000 (7)\n", "127.0.0.1:8000"),
        ("INFO:     Uvicorn running on http://0.0.0.0:9000 (Press CTRL+C to quit)\n", "0.0.0.0:9000"),
        ("INFO:waitress:Serving on http://127.0.0.1:8080\n", "127.0.0.1:8080"),
        (" * Running on http://localhost:5000\n", "localhost:5000"),
        ("Serving HTTP on 127.0.0.1 port 8000 (http://127.0.0.1:8000/) ...\n", "127.0.0.1:8000"),
        ("loading model\nready to predict\n", None),
    ],
)
def test_the_address_a_server_says_it_listens_on(output: str, address: str | None):
    assert listen_address(output) == address


def test_advice_names_the_loopback_trap_and_a_port_mismatch():
    assert "inside the container only" in advice("127.0.0.1:8000", 8000, True)
    assert "bind 0.0.0.0" in advice("127.0.0.1:8000", 8000, True)
    assert "inside the container" not in advice("127.0.0.1:8000", 8000, False)  # on the host it is reachable
    assert "but the spec's `port` is 8080" in advice("0.0.0.0:8000", 8080, True)
    assert advice(None, 8000, True) == "its output names no address it listens on"


def test_the_ticker_says_what_is_checked_and_how_long_is_left():
    said: list[str] = []
    with Ticker(said.append, "HTTP GET /health answering 2xx", 3.0, every=0.2):
        time.sleep(0.5)
    assert said and said[0].startswith("waiting for HTTP GET /health answering 2xx: 0 s so far, 3 s left")
    assert "of ready-timeout = 3 s" in said[0]
    count = len(said)
    time.sleep(0.3)
    assert len(said) == count  # stopped


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_record_of_a_server_that_never_becomes_ready_quotes_it(make_project):
    port, other = _free_port(), _free_port()
    root: Path = make_project(
        {
            "serve.py": f"import time\nprint('booting', flush=True)\n"
            f"print('[INFO] Listening at: http://127.0.0.1:{other} (1)', flush=True)\ntime.sleep(60)\n",
            "pyproject.toml": f'[tool.reprocheck.smoke]\ncommand = ["{sys.executable}", "serve.py"]\n'
            f'golden = "golden.json"\n[tool.reprocheck.smoke.serve]\nport = {port}\nready-timeout = 5.5\n',
            "Dockerfile": "FROM scratch\n",
        }
    )
    r = run_cli("record", str(root))
    assert r.code == 2, r.out + r.err
    assert f"waiting for port {port} listening" in r.err  # what is checked, from the start
    assert "s left of ready-timeout = 5.5 s" in r.err  # and how long is left, while it waits
    error = r.err.strip().splitlines()[-1]
    assert error.startswith("pyproject.toml:5: error: the server was not ready on the host") or ": error:" in error
    assert f"it says it listens on 127.0.0.1:{other}, but the spec's `port` is {port}" in error
    assert f"the end of its output: booting / [INFO] Listening at: http://127.0.0.1:{other} (1)" in error


@pytest.mark.engine
def test_smoke_of_a_server_bound_to_127_0_0_1_in_the_container(tmp_path: Path):
    from tests.support.engine import skip_without_engine, stage

    skip_without_engine()
    project = stage("server-binds-localhost", tmp_path)
    r = run_cli("smoke", "--progress", "plain", "--format", "json", cwd=project)
    assert r.code == 1, r.out + r.err
    (finding,) = r.json()["findings"]
    assert finding["rule"] == "RC806"
    assert "it listens on 127.0.0.1:8080, inside the container only" in finding["message"]
    assert "bind 0.0.0.0" in finding["message"]
    assert "serving on 127.0.0.1:8080" in finding["hint"]  # the end of its output, its own words
    assert "waiting for HTTP GET /health answering 2xx" in r.err and "s left of ready-timeout = 6 s" in r.err


@pytest.mark.engine
@pytest.mark.parametrize("readiness", ["port", "log"])
def test_a_server_on_loopback_is_rc806_whatever_the_readiness_check(tmp_path: Path, readiness: str):
    """The trial's gunicorn bound to 127.0.0.1 with the readiness `init` proposes (the port listening, or its
    log line): the socket listens inside the container, Docker's proxy accepts and closes, and that is RC806
    with the advice to bind 0.0.0.0, said as soon as the socket table shows it (not after ready-timeout), never
    RC850 (a server breaking HTTP)."""
    from tests.support.engine import skip_without_engine, stage

    skip_without_engine()
    project = stage("server-binds-localhost", tmp_path)
    pyproject = project / "pyproject.toml"
    check = 'ready-log = "serving on"' if readiness == "log" else ""
    pyproject.write_text(
        pyproject.read_text()
        .replace('ready-http = "/health"', check)
        .replace("ready-timeout = 6", "ready-timeout = 60")
    )
    r = run_cli("smoke", "--progress", "plain", "--format", "json", cwd=project)
    assert r.code == 1, r.out + r.err
    (finding,) = r.json()["findings"]
    assert finding["rule"] == "RC806", finding
    assert "it listens on 127.0.0.1:8080, inside the container only" in finding["message"]
    assert "bind 0.0.0.0" in finding["message"] and "after ready-timeout" not in finding["message"]
