"""The classic builder's context, packed with the linear .dockerignore matcher instead of the SDK's
backtracking one: the same members as the SDK packs for ordinary patterns, and no hang for a hostile one."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from docker.api.build import process_dockerfile
from docker.utils.build import tar

from reprocheck.backend.context_tar import context_archive

FILES = ["app.py", "data/a.csv", "data/b.bin", "models/m.pkl", "docs/readme.md", "empty/", "src/pkg/m.py"]


def _context(root: Path, ignore: str | None) -> Path:
    for rel in FILES:
        target = root / rel
        if rel.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(rel)
    (root / "Dockerfile").write_text("FROM scratch\nCOPY . /\n")
    if ignore is not None:
        (root / ".dockerignore").write_text(ignore)
    return root


def _members(fileobj) -> set[str]:
    with tarfile.open(fileobj=fileobj) as t:
        return {m.name for m in t.getmembers()}


@pytest.mark.parametrize("ignore", [None, "*.bin\ndocs\n", "data\n!data/a.csv\n", "**/*.pkl\nDockerfile\n"])
def test_the_same_members_as_the_sdk_packs(tmp_path: Path, ignore: str | None):
    root = _context(tmp_path, ignore)
    ours, name = context_archive(root, root / "Dockerfile")
    exclude = [line for line in (ignore or "").splitlines() if line]
    theirs = tar(str(root), exclude=exclude, dockerfile=process_dockerfile("Dockerfile", str(root)))
    with ours, theirs:
        assert name == "Dockerfile"
        assert _members(ours) == _members(theirs)


def test_a_dockerfile_outside_the_context_goes_in_under_a_hidden_name(tmp_path: Path):
    root = _context(tmp_path / "ctx", "**/*.bin\n")
    outside = tmp_path / "build.Dockerfile"
    outside.write_text("FROM scratch\n")
    archive, name = context_archive(root, outside)
    assert name.startswith(".dockerfile.")
    with tarfile.open(fileobj=archive) as t:
        assert t.extractfile(name).read() == b"FROM scratch\n"  # type: ignore[union-attr]
        assert t.extractfile(".dockerignore").read().decode().splitlines() == ["**/*.bin", name]  # type: ignore[union-attr]
        assert "data/b.bin" not in t.getnames()
    archive.close()


def test_the_hostile_dockerignore_is_packed_at_once(tmp_path: Path):
    root = _context(tmp_path, "**/" * 12 + "x\n")
    deep = root.joinpath(*["a"] * 30)
    deep.mkdir(parents=True)
    (deep / "b").write_text("")
    code = (
        "import sys, tarfile; from pathlib import Path\n"
        "from reprocheck.backend.context_tar import context_archive\n"
        "root = Path(sys.argv[1]); archive, _ = context_archive(root, root / 'Dockerfile')\n"
        "print(len(tarfile.open(fileobj=archive).getnames())); archive.close()\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) > 30
