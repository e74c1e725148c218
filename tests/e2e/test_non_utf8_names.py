"""Issue 24 fault 7: file names that are not UTF-8 are bytes from discovery to digest, shown escaped
(``\\xff``), and never a crash: lint, audit and fix on a tree holding them (with a strict UTF-8 stdout), the
inputs digest (the name's bytes, as docker sends it), and smoke and check on the real engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reprocheck.backend.inputs import inputs_digest
from reprocheck.model.build import ImageSource
from tests.conftest import run_cli
from tests.support.engine import BASE_IMAGE, engine_or_skip

STRICT = {"PYTHONIOENCODING": "utf-8:strict", "PYTHONUTF8": "0"}  # a terminal that would refuse surrogates


def tree(root: Path) -> Path:
    sub = os.path.join(os.fsencode(root), b"sv\xff")
    os.makedirs(sub)
    with open(os.path.join(sub, b"Dockerfile"), "wb") as fh:
        fh.write(b"FROM scratch\nRUN uv sync\n")
    with open(os.path.join(sub, b"uv.lock"), "wb") as fh:
        fh.write(b"version = 1\n")
    with open(os.path.join(sub, b"requirements-\xfe.txt"), "wb") as fh:
        fh.write(b"flask\n")
    with open(os.path.join(sub, b"caf\xe9\x1b[2J.txt"), "wb") as fh:
        fh.write(b"x")
    return root


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github", "markdown"])
def test_lint_shows_the_names_escaped(tmp_path: Path, fmt: str):
    r = run_cli("lint", "--format", fmt, ".", cwd=tree(tmp_path), env=STRICT)
    assert r.code == 1 and "internal error" not in r.err, r.err
    if fmt == "text":
        assert "sv\\xff/Dockerfile" in r.out and "requirements-\\xfe.txt" in r.out
    if fmt == "json":
        assert {f["path"] for f in json.loads(r.out)["findings"]} >= {"sv\udcff/Dockerfile"}
    if fmt == "sarif":
        uris = {
            res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for res in json.loads(r.out)["runs"][0]["results"]
        }
        assert "sv%FF/Dockerfile" in uris


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_audit_reports_every_project(tmp_path: Path, fmt: str):
    r = run_cli("audit", "--format", fmt, str(tree(tmp_path)), env=STRICT)
    assert r.code == 1 and "internal error" not in r.err, r.err
    assert "sv\\xff" in r.out or "sv\\udcff" in r.out


def test_fix_writes_and_diffs_in_a_directory_that_is_not_utf8(tmp_path: Path):
    root = tree(tmp_path)
    diff = subprocess.run(
        [sys.executable, "-m", "reprocheck", "fix", "--diff", "--unsafe-fixes", "--offline", "."],
        cwd=root,
        env={**os.environ, **STRICT},
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert diff.returncode in (0, 1) and b"internal error" not in diff.stderr, diff.stderr
    assert b"+++ b/sv\xff/Dockerfile\n" in diff.stdout and b"+RUN uv sync --locked" in diff.stdout  # a patch: bytes
    r = run_cli("fix", "--unsafe-fixes", "--offline", ".", cwd=root, env=STRICT)
    assert "internal error" not in r.err and "sv\\xff/Dockerfile:2: RC513" in r.err, r.err
    with open(os.path.join(os.fsencode(root), b"sv\xff", b"Dockerfile"), "rb") as fh:
        assert b"RUN uv sync --locked" in fh.read()


def test_the_inputs_digest_hashes_the_names_bytes(tmp_path: Path):
    digests: list[str] = []
    for name in (b"caf\xe9.txt", b"caf\xe8.txt", "café.txt".encode()):
        ctx = tmp_path / str(len(digests))
        ctx.mkdir()
        (ctx / "Dockerfile").write_text("FROM scratch\n")
        with open(os.path.join(os.fsencode(ctx), name), "wb") as fh:
            fh.write(b"x")
        digests.append(inputs_digest(ImageSource("p", ctx, ctx / "Dockerfile")))
    assert len(set(digests)) == 3


@pytest.mark.engine
def test_smoke_and_check_with_a_name_that_is_not_utf8(tmp_path: Path):
    engine_or_skip()
    root = tmp_path / "proj"
    root.mkdir()
    (root / "Dockerfile").write_text(f"FROM {BASE_IMAGE}\nCOPY . /app/\nWORKDIR /app\n")
    (root / "pyproject.toml").write_text(
        '[tool.reprocheck.smoke]\ncommand = ["python3", "p.py"]\ngolden = "golden.json"\n'
    )
    (root / "p.py").write_text(
        "import json, os\nprint(json.dumps([n.hex() for n in sorted(os.listdir(b'.')) if n.startswith(b'caf')]))\n"
    )
    (root / "golden.json").write_text('["636166e92e747874"]\n')  # b"caf\xe9.txt": sent as its bytes
    with open(os.path.join(os.fsencode(root), b"caf\xe9.txt"), "wb") as fh:
        fh.write(b"x")
    try:
        for command in ("smoke", "check"):
            r = run_cli(command, "--progress", "quiet", "--format", "json", cwd=root, env=STRICT)
            assert "internal error" not in r.err, r.err
            data = json.loads(r.out)
            assert not [f for f in data["findings"] if f["rule"].startswith("RC80")], (command, data["findings"])
        again = run_cli("smoke", "--progress", "quiet", cwd=root, env=STRICT)
        assert again.code == 0 and "reused image" in again.out, again.err
    finally:
        run_cli("clean", str(root))
