"""verify's probe runs beside the prediction (issue 15): ``PendingVerify`` works in its own thread while the
caller goes on, then records its results in the stage order of old, and re-raises what went wrong there."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from reprocheck.errors import ConfigError
from reprocheck.model.build import ImageSource
from reprocheck.model.location import Location
from reprocheck.model.rule import Stage
from reprocheck.rules.runtime import DIFFERS, PACKAGE_UNEXPECTED
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
