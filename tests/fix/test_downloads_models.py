"""RC505 fix: a model hub API served on 127.0.0.1 (HF_ENDPOINT) answers which commit a branch points at."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import run_cli

BASE = "python:3.11.9-slim@sha256:" + "1" * 64
MAIN = "4015b57a143aec5156fd1444a017a32137a3fd0f"
V2 = "a" * 40
TOKEN = "hf_secret_for_tests"


@dataclass
class Hub:
    url: str
    seen: list[tuple[str, str]] = field(default_factory=list)  # (path, Authorization header)
    redirect_to: str = ""  # where /api/models/moved/... redirects


@contextmanager
def _hub() -> Iterator[Hub]:
    hub = Hub("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hub.seen.append((self.path, self.headers.get("Authorization", "")))
            answers = {
                "/api/models/org/model/revision/main": MAIN,
                "/api/models/org/model/revision/v2": V2,
                "/api/models/org/private/revision/main": MAIN,
            }
            if self.path.startswith("/api/models/moved/") and hub.redirect_to:
                self.send_response(307)
                self.send_header("Location", hub.redirect_to + self.path.replace("moved/", "org/"))
                self.end_headers()
                return
            if self.path == "/api/models/org/private/revision/main" and self.headers.get("Authorization") != (
                f"Bearer {TOKEN}"
            ):
                self.send_response(401)
                self.end_headers()
                return
            sha = answers.get(self.path)
            body = json.dumps({"id": "org/model", "sha": sha, "siblings": []}).encode() if sha else b"{}"
            self.send_response(200 if sha else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def hub() -> Iterator[Hub]:
    with _hub() as h:
        yield h


def _project(make_project, dockerfile: str | bytes) -> Path:
    root: Path = make_project({"p/Dockerfile": dockerfile})
    return root / "p"


def _fix(project: Path, hub_url: str, *args: str, token: str = ""):
    env = {"HF_ENDPOINT": hub_url, "HF_TOKEN": token}
    return run_cli("fix", "--isolated", "--unsafe-fixes", *args, ".", cwd=project, env=env)


def test_download_gains_the_commit_main_points_at_and_a_second_run_changes_nothing(hub, make_project):
    dockerfile = f"FROM {BASE}\nRUN huggingface-cli download org/model --local-dir /models/m\nUSER 65534\n"
    project = _project(make_project, dockerfile)
    safe_only = run_cli("fix", "--isolated", ".", cwd=project, env={"HF_ENDPOINT": hub.url})
    assert safe_only.code == 1
    assert (project / "Dockerfile").read_text() == dockerfile
    r = _fix(project, hub.url)
    assert r.code == 0, r.out + r.err
    assert (project / "Dockerfile").read_text() == dockerfile.replace("org/model", f"org/model --revision {MAIN}")
    assert _fix(project, hub.url, "--diff").out == ""
    assert [p for p, _ in hub.seen] == ["/api/models/org/model/revision/main"]


def test_a_branch_or_tag_revision_becomes_its_commit_keeping_continuations_comments_and_crlf(hub, make_project):
    dockerfile = (
        f"FROM {BASE}\r\n"
        "RUN pip download nothing ; \\\r\n"
        "    hf download org/model \\\r\n"
        "# the weights\r\n"
        "    --revision v2 \\\r\n"
        "    --local-dir=/models/m\r\n"
        "RUN hf download org/model config.json --revision=main\r\n"
        "USER 65534\r\n"
    )
    project = _project(make_project, dockerfile.encode())
    r = _fix(project, hub.url, "--select", "RC505")
    assert r.code == 0, r.out + r.err
    after = (project / "Dockerfile").read_bytes().decode()
    assert after == dockerfile.replace("--revision v2", f"--revision {V2}").replace(
        "--revision=main", f"--revision={MAIN}"
    )


def test_a_failed_lookup_leaves_the_line_and_says_why(hub, make_project):
    dockerfile = f"FROM {BASE}\nRUN hf download org/missing\nUSER 65534\n"
    project = _project(make_project, dockerfile)
    r = _fix(project, hub.url, "--format", "json")
    assert r.code == 1
    assert (project / "Dockerfile").read_text() == dockerfile
    hints = [f["hint"] for f in json.loads(r.out)["findings"] if f["rule"] == "RC505"]
    assert len(hints) == 1 and "HTTP 404" in hints[0] and "org/missing@main" in hints[0], hints


def test_a_hub_that_does_not_answer_leaves_the_line(make_project):
    with _hub() as gone:
        url = gone.url
    dockerfile = f"FROM {BASE}\nRUN hf download org/model\nUSER 65534\n"
    project = _project(make_project, dockerfile)
    r = _fix(project, url, "--format", "json")
    assert r.code == 1
    assert (project / "Dockerfile").read_text() == dockerfile
    hints = [f["hint"] for f in json.loads(r.out)["findings"] if f["rule"] == "RC505"]
    assert len(hints) == 1 and hints[0].startswith(f"not fixed: cannot ask {url}"), hints


def test_offline_asks_nothing(hub, make_project):
    dockerfile = f"FROM {BASE}\nRUN hf download org/model\nUSER 65534\n"
    project = _project(make_project, dockerfile)
    r = _fix(project, hub.url, "--offline", "--format", "json")
    assert r.code == 1
    assert (project / "Dockerfile").read_text() == dockerfile
    assert hub.seen == []
    assert any("--offline" in f["hint"] for f in json.loads(r.out)["findings"] if f["rule"] == "RC505")


def test_python_one_liners_and_datasets_are_left_with_why(hub, make_project):
    dockerfile = (
        f"FROM {BASE}\n"
        "RUN python -c \"from huggingface_hub import snapshot_download; snapshot_download('org/model')\"\n"
        "RUN hf download org/data --repo-type dataset\n"
        "USER 65534\n"
    )
    project = _project(make_project, dockerfile)
    r = _fix(project, hub.url, "--format", "json")
    assert (project / "Dockerfile").read_text() == dockerfile
    hints = {f["line"]: f["hint"] for f in json.loads(r.out)["findings"] if f["rule"] == "RC505"}
    assert "revision=" in hints[2] and "not fixed" in hints[2], hints
    assert "dataset" in hints[3] and "not fixed" in hints[3], hints
    assert hub.seen == []


def test_the_token_goes_to_the_endpoint_only(hub, make_project):
    # --local-dir: the files go where the runtime user reads them (without it, ML402: root's cache)
    dockerfile = (
        f"FROM {BASE}\nRUN hf download org/private --local-dir /m/p\nRUN hf download moved/model --local-dir /m/m\n"
        "USER 65534\n"
    )
    project = _project(make_project, dockerfile)
    with _hub() as elsewhere:
        hub.redirect_to = elsewhere.url
        r = _fix(project, hub.url, token=TOKEN)
        assert r.code == 0, r.out + r.err
        assert elsewhere.seen == [("/api/models/org/model/revision/main", "")]
    assert hub.seen[0] == ("/api/models/org/private/revision/main", f"Bearer {TOKEN}")
    assert hub.seen[1] == ("/api/models/moved/model/revision/main", f"Bearer {TOKEN}")
    assert (project / "Dockerfile").read_text().count(f"--revision {MAIN}") == 2
