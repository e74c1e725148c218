"""Shared helpers: lint a text with chosen rules, run the real CLI, find the shared corpus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reprocheck.lint.run import Dispatcher, lint_dockerfile
from reprocheck.model.finding import Finding
from reprocheck.parsing.dockerfile import parse_dockerfile
from reprocheck.rules import RULES_BY_ID

ROOT = Path(__file__).resolve().parents[1]
# the file-digest cache of smoke runs goes to a scratch directory, not the developer's ~/.cache
os.environ.setdefault("XDG_CACHE_HOME", tempfile.mkdtemp(prefix="reprocheck-tests-cache-"))
# The shared corpus (hundreds of real Dockerfiles) sits beside a checkout on the project's machines, not in a
# contributor's clone; REPROCHECK_CORPUS points elsewhere. tests/corpus_sample/ is the part every run has.
CORPUS = Path(os.environ.get("REPROCHECK_CORPUS") or ROOT.parent / "shared" / "corpus").resolve()
CORPUS_SAMPLE = ROOT / "tests" / "corpus_sample"
SCHEMAS = (ROOT.parent / "shared" / "schemas").resolve()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked ``engine`` skip, with the reason, when no engine runs (fail with REPROCHECK_REQUIRE_ENGINE)."""
    if item.get_closest_marker("engine") is not None:
        from tests.support.engine import skip_without_engine

        skip_without_engine()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``--dist loadgroup``) the engine tests of a module stay in one worker, in order; the
    static tests spread over all of them. The fresh-clone tests (half a minute of pip in one worker) go first,
    so that the other workers share the rest meanwhile instead of waiting for them at the end."""
    for item in items:
        if item.get_closest_marker("engine") is not None and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(f"engine:{item.nodeid.split('::', 1)[0]}"))
    items.sort(key=lambda item: item.get_closest_marker("fresh_clone") is None)  # stable: the rest keep their order


@pytest.fixture(scope="session")
def session_images(tmp_path_factory: pytest.TempPathFactory):
    """Fixture projects' images built once per session (``session_images.get("iris-clean")`` -> tag),
    labelled with the session's run id and removed at its end."""
    from tests.support.engine import SessionImages

    images = SessionImages(tmp_path_factory.mktemp("session-images"))
    yield images
    images.remove()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests.support.engine import close_engine

    close_engine()


def lint_text(
    text: str, rules: Iterable[str] | None = None, options: Mapping[str, Any] | None = None, path: str = "Dockerfile"
) -> list[Finding]:
    """Findings (not suppressed) of ``text`` with only ``rules`` selected (all rules when None)."""
    ids = list(rules) if rules is not None else list(RULES_BY_ID)
    dispatcher = Dispatcher(RULES_BY_ID[i] for i in ids)
    findings = lint_dockerfile(parse_dockerfile(text, path), dispatcher, dict(options or {}))
    return [f for f in findings if f.suppressed_by is None and (f.rule in ids)]


def assert_catches(rule: str, text: str, line: int | None = None, options: Mapping[str, Any] | None = None) -> Finding:
    """The rule fires on ``text`` (with only that rule selected), at ``line`` when given (hadolint's helper)."""
    found = lint_text(text, [rule], options)
    assert found, f"{rule} did not fire on:\n{text}"
    first = found[0]
    assert first.location.line > 0
    if line is not None:
        assert [f.location.line for f in found] == [line] * len(found) or first.location.line == line, found
    return first


def assert_passes(rule: str, text: str, options: Mapping[str, Any] | None = None) -> None:
    found = lint_text(text, [rule], options)
    assert not found, f"{rule} fired unexpectedly: {[f.message for f in found]}"


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


# A guard against a hang, not a speed check: two builds without cache on a machine other jobs load take minutes
CLI_TIMEOUT = 900


def run_cli(
    *args: str, cwd: Path | str | None = None, stdin: str | None = None, env: Mapping[str, str] | None = None
) -> CliResult:
    """Run the real command line in a subprocess."""
    full_env = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "reprocheck", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=CLI_TIMEOUT,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def make_project(tmp_path: Path):
    """Write a dict of {relative path: content} under tmp_path and return the directory."""

    def make(files: Mapping[str, str | bytes], root: Path | None = None) -> Path:
        base = root or tmp_path
        for rel, content in files.items():
            p = base / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content, encoding="utf-8")
        return base

    return make


def corpus_or_skip() -> Path:
    """The shared corpus; skipped (visibly, in ``-ra``) where it is absent: tests/corpus_sample/ still runs."""
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS} (set REPROCHECK_CORPUS); tests/corpus_sample/ ran instead")
    return CORPUS


@pytest.fixture(scope="session", autouse=True)
def _remove_this_sessions_cached_images(tmp_path_factory: pytest.TempPathFactory):
    """At the end, remove what this test session's projects left on the engine (their cached smoke images):
    every project lives under this session's (this worker's) temporary directory, so a per-project clean of
    each of them touches nothing of another run's."""
    yield
    base = tmp_path_factory.getbasetemp()
    roots = {p.parent for name in ("Dockerfile", "pyproject.toml", ".reprocheck.toml") for p in base.rglob(name)}
    from tests.support.engine import _close, engine_unavailable, new_backend

    if not roots or engine_unavailable() is not None:  # the session's own probe: no new client without an engine
        return
    from reprocheck.backend.base import project_id

    backend = new_backend()
    try:
        for pid in sorted({project_id(r) for r in roots}):
            backend.cleanup(project=pid)
    finally:
        backend.close()
        _close(backend)
