"""The image's passwd and group, remembered by image id: a reused smoke run with a named USER reads them once."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from reprocheck.backend.image_files import remembered


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_files_are_read_once_per_image():
    calls: list[tuple[str, ...]] = []

    def read(paths: tuple[str, ...]) -> Mapping[str, bytes]:
        calls.append(paths)
        return {"/etc/passwd": b"app:x:1000:1000::/:/bin/sh\n\xff"}

    paths = ("/etc/passwd", "/etc/group")
    assert remembered(read, "sha256:aa")(paths) == {"/etc/passwd": b"app:x:1000:1000::/:/bin/sh\n\xff"}
    assert remembered(read, "sha256:aa")(paths) == {"/etc/passwd": b"app:x:1000:1000::/:/bin/sh\n\xff"}
    assert len(calls) == 1
    remembered(read, "sha256:bb")(paths)
    assert len(calls) == 2


def test_nothing_read_is_not_remembered(cache: Path):
    calls: list[int] = []

    def read(paths: tuple[str, ...]) -> Mapping[str, bytes]:
        calls.append(1)
        return {}

    remembered(read, "sha256:aa")(("/etc/passwd",))
    remembered(read, "sha256:aa")(("/etc/passwd",))
    assert len(calls) == 2
    (cache / "reprocheck").mkdir(parents=True, exist_ok=True)
    (cache / "reprocheck" / "image-files.json").write_text("[" * 10_000)  # a broken cache: read the image
    remembered(read, "sha256:aa")(("/etc/passwd",))
    assert len(calls) == 3
