"""reprocheck rebuild on a real engine: fixtures/rebuild/* built twice, compared, causes and lines named."""

from __future__ import annotations

import http.server
import itertools
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.support.engine import assert_nothing_left, engine_or_skip
from tests.support.interrupt import default_sigint

pytestmark = pytest.mark.engine
FIXTURES = ROOT / "fixtures" / "rebuild"


@pytest.fixture(scope="module")
def backend():
    return engine_or_skip()


@contextmanager
def changing_server() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 whose file changes with every request (a moving `latest`)."""
    count = itertools.count(1)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"weights revision {next(count)}\n".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/weights.bin"
    finally:
        server.shutdown()
        server.server_close()


def _copy(name: str, tmp_path: Path) -> Path:
    project = tmp_path / name
    shutil.copytree(FIXTURES / name, project)
    return project


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir() if (p / "expect.toml").is_file()))
def test_rebuild_fixture(name: str, backend, tmp_path: Path):
    project = _copy(name, tmp_path)
    expect = tomllib.loads((project / "expect.toml").read_text())
    args = ["rebuild", "--progress", "plain", "--format", "json", "--details", str(tmp_path / "details.json")]
    with changing_server() as url:
        if name == "download":
            args += ["--network", "host", "--build-arg", f"WEIGHTS_URL={url}"]
        r = run_cli(*args, cwd=project)
    assert r.code == expect["exit"], r.err[-3000:]
    data = json.loads(r.out)
    failing = [(f["rule"], f["line"]) for f in data["findings"] if f["severity"] != "info"]
    assert sorted(failing) == sorted(zip(expect["rules"], expect["lines"], strict=True)), data["findings"]
    text = json.dumps(data)
    for phrase in expect.get("says", []):
        assert phrase in text, phrase
    details = json.loads((tmp_path / "details.json").read_text())
    assert details["layers"]["total"] >= 2 and details["files"]["second"] > 1000
    if name == "reproducible":  # the same bytes: only modification times differ, at its RUN line
        assert [(f["rule"], f["line"]) for f in data["findings"]] == [("RC824", 7)]
    assert_nothing_left(backend, project)  # both builds removed


def test_allowed_differences_pass(backend, tmp_path: Path):
    project = _copy("build-time", tmp_path)
    r = run_cli("rebuild", "--progress", "quiet", "--format", "json", "--allow", "/app/BUILD_*", cwd=project)
    assert r.code == 0, r.out
    data = json.loads(r.out)
    assert not [f for f in data["findings"] if f["rule"] == "RC820"]
    assert any("1 difference allowed by the configuration" in n for n in data["notes"])
    (project / "pyproject.toml").write_text('[tool.reprocheck.rebuild]\nallow-causes = ["content"]\n')
    assert run_cli("rebuild", "--progress", "quiet", cwd=project).code == 0


def test_varied_context_exposes_modes_copied_from_the_checkout(backend, tmp_path: Path):
    project = _copy("reproducible", tmp_path)
    (project / "app.py").chmod(0o644)
    r = run_cli("rebuild", "--vary", "--progress", "quiet", "--format", "json", cwd=project)
    assert r.code == 1, r.out
    data = json.loads(r.out)
    (metadata,) = [f for f in data["findings"] if f["rule"] == "RC823"]
    assert metadata["line"] == 6 and "/app/app.py: mode 0o100644 -> 0o100664" in metadata["hint"]
    assert any("group-writable" in n for n in data["notes"])


def test_check_runs_the_rebuild_stage_when_asked(backend, tmp_path: Path):
    project = _copy("build-time", tmp_path)
    r = run_cli("check", "--rebuild", "--progress", "quiet", "--format", "json", cwd=project)
    data = json.loads(r.out)
    stages = {s["name"]: s["status"] for s in data["stages"]}
    assert r.code == 1 and stages["rebuild"] == "failed" and stages["verify"] == "passed", stages
    assert any(f["rule"] == "RC820" and f["line"] == 5 for f in data["findings"])
    without = json.loads(run_cli("check", "--progress", "quiet", "--format", "json", cwd=project).out)
    assert {s["name"]: s["status"] for s in without["stages"]}["rebuild"] == "skipped"


def test_build_failure_is_reported_and_nothing_is_left(backend, tmp_path: Path):
    project = _copy("reproducible", tmp_path)
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("COPY app.py ./", "COPY app.py ./\nRUN exit 3"))
    r = run_cli("rebuild", "--progress", "quiet", "--format", "json", cwd=project)
    assert r.code == 1
    (finding,) = json.loads(r.out)["findings"]
    assert finding["rule"] == "RC801" and finding["line"] == 7
    assert_nothing_left(backend, project)  # the steps before the failing one too (the journal lists them)


def test_source_date_epoch_git_outside_a_repository(tmp_path: Path):
    """Resolved once the engine answered (the usage errors that need no engine are in tests/test_cli.py)."""
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    no_git = run_cli("rebuild", "--source-date-epoch", "git", cwd=tmp_path)
    assert no_git.code == 2 and "git repository" in no_git.err


def test_interrupted_rebuild_leaves_no_image_or_container(backend, tmp_path: Path):
    project = _copy("reproducible", tmp_path)
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("COPY app.py ./", "COPY app.py ./\nRUN sleep 10"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "reprocheck", "rebuild", "--progress", "plain"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    )
    assert proc.stderr is not None
    seen: list[str] = []
    for line in proc.stderr:  # the first build is done and tagged; interrupt the second in its RUN sleep
        seen.append(line)
        if "build b of 2" in "".join(seen) and "RUN sleep 10" in line:
            break
    assert any("build b of 2" in s for s in seen), "".join(seen)
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=60)
    proc.stderr.close()
    assert code == 130
    # the engine stops the cancelled build's container on its own, within the wait
    assert_nothing_left(backend, project)  # the steps the interrupted build had made are gone too
