"""The whole lint engine on generated projects: a Dockerfile and the dependency files it may install,
linted as `reprocheck lint .` would. No exception escapes, no finding says "internal error", and every
finding names a file of the project (or one it reached) and a line within it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from reprocheck.lint.run import LintOptions, lint_paths
from tests.fuzz import strategies as s
from tests.fuzz.strategies import FUZZ

FILES = {
    "requirements.txt": s.requirements(),
    "requirements.in": s.requirements(),
    "pyproject.toml": s.pyproject(),
    "uv.lock": s.uv_lock(),
    "poetry.lock": s.poetry_lock(),
    "Pipfile": s.pipfile(),
    "Pipfile.lock": s.pipfile_lock(),
    "environment.yml": s.conda_env(),
    "conda-linux-64.lock": s.conda_explicit(),
}


@st.composite
def project(draw: st.DrawFn) -> dict[str, str]:
    files = {"Dockerfile": draw(s.dockerfile())}
    names = draw(st.lists(st.sampled_from(sorted(FILES)), unique=True, max_size=4))
    for name in names:
        files[draw(st.sampled_from([name, f"sub/{name}"]))] = draw(FILES[name])
    if draw(st.booleans()):
        files["sub/Dockerfile.gpu"] = draw(s.dockerfile())
    return files


@FUZZ
@given(project(), st.sampled_from([".", "Dockerfile"]))
def test_lint_engine_on_generated_projects(files: dict[str, str], target: str):
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        for name, text in files.items():
            path = Path(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="")
        report = lint_paths([target], LintOptions(isolated=True))
        for f in report.findings:
            assert "internal error" not in f.message, f
            path = Path(f.location.path)
            assert path.is_file(), f
            lines = path.read_bytes().count(b"\n") + 1
            assert 1 <= f.location.line <= lines, (f, lines)


def _seed_files() -> list[Path]:
    """Real inputs to mutate: the repository's fixtures (and the shared corpus when it is there)."""
    from reprocheck.lint.discover import kind_of
    from tests.conftest import CORPUS, ROOT

    out: list[Path] = []
    for base in (ROOT / "fixtures", CORPUS):
        if base.is_dir():
            out.extend(p for p in sorted(base.rglob("*")) if p.is_file() and kind_of(p.name) is not None)
    return out


SEEDS = _seed_files()
MUTATIONS = st.lists(
    st.tuples(
        st.sampled_from(["flip", "cut", "dup", "insert", "swap"]),
        st.floats(min_value=0, max_value=1),
        st.floats(min_value=0, max_value=1),
        st.binary(max_size=8) | st.sampled_from([b"\\\n", b"<<EOF\n", b'"', b"'", b"\x00", b"\r", b"[[", b"{", b"${"]),
    ),
    min_size=1,
    max_size=4,
)


def mutate(data: bytes, ops: list[tuple[str, float, float, bytes]]) -> bytes:
    for op, a, b, chunk in ops:
        i, j = sorted((int(a * len(data)), int(b * len(data))))
        if op == "flip" and data:
            k = min(i, len(data) - 1)
            data = data[:k] + bytes([data[k] ^ 0x20]) + data[k + 1 :]
        elif op == "cut":
            data = data[:i] + data[j:]
        elif op == "dup":
            data = data[:j] + data[i:j] + data[j:]
        elif op == "insert":
            data = data[:i] + chunk + data[i:]
        elif op == "swap":
            lines = data.split(b"\n")
            if len(lines) > 1:
                x, y = int(a * (len(lines) - 1)), int(b * (len(lines) - 1))
                lines[x], lines[y] = lines[y], lines[x]
                data = b"\n".join(lines)
    return data


@FUZZ
@given(st.sampled_from(SEEDS), MUTATIONS)
def test_lint_engine_on_mutated_real_files(seed: Path, ops: list[tuple[str, float, float, bytes]]):
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        for sibling in seed.parent.iterdir():  # the file's project: a lock beside its source, a Dockerfile's inputs
            if sibling.is_file() and sibling.stat().st_size < 1_000_000:
                Path(sibling.name).write_bytes(sibling.read_bytes())
        Path(seed.name).write_bytes(mutate(seed.read_bytes(), ops))
        report = lint_paths(["."], LintOptions(isolated=True))
        for f in report.findings:
            assert "internal error" not in f.message, f
            path = Path(f.location.path)
            assert path.is_file(), f
            assert 1 <= f.location.line <= path.read_bytes().count(b"\n") + 1, f


ENTRY_NAMES = ["Dockerfile", "requirements.txt", "requirements.in", "uv.lock", "pyproject.toml", "sub", "d/e"]
ENTRY_KINDS = st.sampled_from(["file", "dir", "link-in", "link-out", "link-loop", "link-dangling", "fifo", "dev"])


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(ENTRY_NAMES), ENTRY_KINDS, st.sampled_from(ENTRY_NAMES)), max_size=8))
def test_lint_engine_on_trees_of_links_and_special_files(entries: list[tuple[str, str, str]]):
    """Links in, out and in loops, FIFOs and devices under any name: lint ends, and nothing outside the
    tree (a file holding a secret) is ever quoted."""
    secret = "SECRET-7f3a"
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        Path("outside.txt").write_text(f"{secret}\n-r {secret}\nFROM {secret}\n")
        root = Path("project")
        root.mkdir()
        (root / ".git").mkdir()
        for name, kind, other in entries:
            path = root / name
            if path.exists() or path.is_symlink():
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if kind == "file":
                path.write_text("FROM python:3.11\nCOPY requirements.txt /r/\nRUN pip install -r /r/requirements.txt\n")
            elif kind == "dir":
                path.mkdir()
            elif kind == "link-in":
                path.symlink_to(os.path.abspath(root / other))
            elif kind == "link-out":
                path.symlink_to(os.path.abspath("outside.txt"))
            elif kind == "link-loop":
                path.symlink_to(path.name)
            elif kind == "link-dangling":
                path.symlink_to(Path(tmp) / "missing")
            elif kind == "fifo" and hasattr(os, "mkfifo"):
                os.mkfifo(path)
            elif kind == "dev" and Path("/dev/zero").exists():
                path.symlink_to("/dev/zero")
        for target in ("project", *(str(root / n) for n, _, _ in entries if (root / n).is_file())):
            report = lint_paths([target], LintOptions(isolated=True))
            text = repr(report.findings) + repr(report.notes)
            assert secret not in text
            assert "internal error" not in text
