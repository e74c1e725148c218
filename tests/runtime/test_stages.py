"""Issue 15: verify's probe runs beside the prediction (``PendingVerify`` works in its own thread while the
caller goes on, then records its results in the stage order of old, and re-raises what went wrong there); a
reused image is found by one look-up of its project's tag, not a scan of the engine's images."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import cast

import pytest

from reprocheck.backend.base import DIGEST_LABEL, PROJECT_LABEL, ContainerBackend, ImageInfo, project_id
from reprocheck.backend.inputs import inputs_digest
from reprocheck.errors import ConfigError
from reprocheck.model.build import ImageSource
from reprocheck.model.location import Location
from reprocheck.model.rule import Stage
from reprocheck.rules.runtime import DIFFERS, PACKAGE_UNEXPECTED
from reprocheck.runtime.build import obtain_image
from reprocheck.runtime.judge import Collected
from reprocheck.runtime.stages import PendingVerify
from reprocheck.verify.expect import Expectation
from reprocheck.verify.probe import Inventory
from reprocheck.verify.runner import VerifyOutcome

SOURCE = ImageSource("p", Path("ctx"), Path("ctx") / "Dockerfile")


def test_the_probe_runs_while_the_caller_goes_on_and_records_after_it():
    prediction_running = threading.Event()
    finding = PACKAGE_UNEXPECTED.finding(Location("requirements.txt", 1), "x is installed but not locked")

    def probe() -> VerifyOutcome:
        # would block forever if the probe ran after the prediction instead of beside it
        assert prediction_running.wait(10), "the probe did not run beside the prediction"
        return VerifyOutcome(Inventory(), Expectation("Dockerfile", ("requirements.txt",)), (finding,), ("7 dists",))

    pending = PendingVerify(probe, SOURCE)
    out = Collected()
    prediction_running.set()  # the caller's "prediction", while the probe waits for it
    out.findings.append(DIFFERS.finding(Location("golden.json", 1), "differs"))
    out.note("smoke note")
    row = pending.finish(out)
    assert [f.rule for f in out.findings] == [DIFFERS.id, PACKAGE_UNEXPECTED.id]  # smoke's first, as before
    assert out.notes == ["smoke note", "7 dists"]
    assert row.name == Stage.VERIFY and row.status == "passed" and row.detail == "image against requirements.txt"
    assert "requirements.txt" in out.files


def test_what_goes_wrong_in_the_probe_is_raised_by_finish():
    def probe() -> VerifyOutcome:
        raise ConfigError("a lock the Dockerfile names is missing")

    pending = PendingVerify(probe, SOURCE)
    pending.wait()
    with pytest.raises(ConfigError, match="missing"):
        pending.finish(Collected())


class _Images:
    """The image calls obtain_image makes, over a dict of images (id -> info): counts the scans by label."""

    def __init__(self) -> None:
        self.images: dict[str, ImageInfo] = {}
        self.scans = 0

    def use_project(self, root: Path) -> None:
        return None

    def inspect(self, ref: str) -> ImageInfo | None:
        return next((i for i in self.images.values() if ref == i.id or ref in i.tags), None)

    def find_images(self, labels: dict[str, str]) -> list[ImageInfo]:
        self.scans += 1
        return [i for i in self.images.values() if all(i.labels.get(k) == v for k, v in labels.items())]

    def tag(self, image_id: str, ref: str) -> None:
        for key, info in list(self.images.items()):
            tags = tuple(t for t in info.tags if t != ref)
            self.images[key] = replace(info, tags=(*tags, ref) if key == image_id else tags)


def test_a_reused_image_is_found_by_its_project_tag_and_a_scan_tags_it(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text("FROM a\nCOPY app.py /app/\n")
    (tmp_path / "app.py").write_text("print(1)\n")
    source = ImageSource("p", tmp_path, tmp_path / "Dockerfile", root=tmp_path)
    labels = {DIGEST_LABEL: inputs_digest(source, source.volatile), PROJECT_LABEL: project_id(tmp_path)}
    engine = _Images()
    engine.images["sha256:1"] = ImageInfo("sha256:1", (), (), "", "", (), (), (), labels, "", "", "", ())
    backend = cast(ContainerBackend, engine)
    first = obtain_image(backend, source, lambda _m: None)
    assert first.reused and engine.scans == 1  # found by its labels (its tag moved away, or an older name)
    assert first.image is not None and first.image.endswith(project_id(tmp_path).rsplit("-", 1)[-1])
    second = obtain_image(backend, source, lambda _m: None)
    assert second.reused and second.image == first.image and engine.scans == 1  # by the tag: no scan
    # the same tag on another project's image (same inputs, another checkout): not taken, the scan decides
    engine.images["sha256:2"] = replace(engine.images["sha256:1"], id="sha256:2", labels={**labels, PROJECT_LABEL: "x"})
    engine.tag("sha256:2", first.image)
    third = obtain_image(backend, source, lambda _m: None)
    assert third.reused and engine.scans == 2 and third.info is not None and third.info.id == "sha256:1"
