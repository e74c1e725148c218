"""The file-digest cache is a shortcut only: same digests warm or cold, and any change to a file misses it."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from reprocheck.backend import file_digests
from reprocheck.backend.file_digests import FileDigests
from reprocheck.backend.inputs import inputs_digest
from reprocheck.model.build import ImageSource


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(file_digests, "RACY_SECONDS", 0.0)  # files written by the test are seconds old at most
    return tmp_path / "cache" / "reprocheck" / "file-digests.json"


def _project(root: Path) -> ImageSource:
    root.mkdir()
    (root / "Dockerfile").write_text("FROM a\nCOPY . /app\n")
    (root / "model.bin").write_bytes(os.urandom(300_000))
    (root / "app.py").write_text("print(1)\n")
    return ImageSource("p", root, root / "Dockerfile")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_warm_cache_gives_the_cold_digest_without_reading_the_files(tmp_path, cache):
    source = _project(tmp_path / "p")
    cold = inputs_digest(source)
    assert cache.is_file()
    digests = FileDigests()
    model = tmp_path / "p" / "model.bin"
    assert digests.sha256(model, model.lstat()) == _digest(model)
    assert (digests.hits, digests.misses) == (1, 0)
    assert inputs_digest(source) == cold


def test_a_changed_file_misses_even_with_its_old_size_and_mtime(tmp_path, cache):
    source = _project(tmp_path / "p")
    model = tmp_path / "p" / "model.bin"
    before = model.stat()
    first = inputs_digest(source)
    model.write_bytes(os.urandom(300_000))  # same size
    os.utime(model, ns=(before.st_atime_ns, before.st_mtime_ns))  # same mtime; ctime moves
    assert inputs_digest(source) != first
    digests = FileDigests()
    assert digests.sha256(model, model.lstat()) == _digest(model)


def test_a_corrupt_or_unwritable_cache_means_hashing_again(tmp_path, cache):
    source = _project(tmp_path / "p")
    first = inputs_digest(source)
    cache.write_text('{"version": 1, "files": {"x": [1, 2, 3]}, ')
    assert inputs_digest(source) == first
    cache.write_text('{"version": 1, "files": ' + '{"' + str(tmp_path / "p" / "app.py") + '": [[0,0,0,0,0], "bad"]}}')
    assert inputs_digest(source) == first  # an entry whose stat key does not match is not used
    cache.unlink()
    cache.mkdir()  # cannot be written (a directory in its place): still the right digest
    assert inputs_digest(source) == first


def test_a_file_changed_just_now_is_not_remembered(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    source = _project(tmp_path / "p")
    inputs_digest(source)
    digests = FileDigests()
    assert digests.entries == {}  # every file is younger than RACY_SECONDS
