"""A multi-stage build through the classic builder leaves no image of its own outside its labels: the builder
labels only the final image, so a builder stage's last image stayed on the shared engine untagged and
unlabelled (test_own_image left a 251 MB `<none>` each run), where neither ``clean`` nor the run's own
removal could reach it."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from reprocheck.backend.base import RUN_LABEL, BuildRequest
from tests.support.engine import BASE_IMAGE, engine_or_skip, new_backend

pytestmark = pytest.mark.engine


def images_of_step(backend: Any, marker: str, since: float) -> list[str]:
    """Images created since ``since`` whose history holds a step naming ``marker`` (unique to this test, so
    other runs' images on the shared engine never match)."""
    api = backend.client.api
    found = []
    for image in api.images(all=True):
        if image["Created"] < since - 1:
            continue
        try:
            history = api.history(image["Id"])
        except Exception:  # removed meanwhile by its own run
            continue
        if any(marker in str(h.get("CreatedBy", "")) for h in history):
            found.append(str(image["Id"]))
    return found


def test_a_builder_stage_leaves_no_unlabelled_image(tmp_path: Path):
    engine_or_skip()
    backend = new_backend(project=tmp_path, run_id=f"test-{uuid.uuid4().hex[:8]}")
    builder, final = f"builder-{uuid.uuid4().hex}", f"final-{uuid.uuid4().hex}"
    (tmp_path / "Dockerfile").write_text(
        f"FROM {BASE_IMAGE} AS build\nRUN echo {builder} > /made\nRUN cp /made /made2\n"
        f"FROM {BASE_IMAGE}\nCOPY --from=build /made2 /made\nRUN echo {final} >> /made\n"
    )
    tag = f"reprocheck/test-stages:{uuid.uuid4().hex[:8]}"
    started = time.time()
    strays: list[str] = []
    try:
        result = backend.build(BuildRequest(tmp_path, tmp_path / "Dockerfile", tag, network="none"), lambda _l: None)
        assert result.ok, result.error
        info = backend.inspect(tag)
        assert info is not None and info.labels[RUN_LABEL] == backend.run_id
        # the builder stage's images are gone; the final image and its own layers stay until it is removed
        strays = images_of_step(backend, builder, started)
        assert strays == []
        assert info.id in images_of_step(backend, final, started)
    finally:
        backend.remove_image(tag)
        for image in strays:  # this test's own, should the assertion fail: never left on the shared engine
            backend.remove_image(image)
    assert images_of_step(backend, final, started) == []
    backend.close()
    assert not backend.journal.path.exists()  # nothing outstanding, nothing kept that is not gone
