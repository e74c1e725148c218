"""RC8xx: what only a build and a run can show. Declared here so that selection, severities, pragmas and
every reporter treat them like the static rules; the checks live in ``reprocheck.smoke`` (and verify,
rebuild) and need a container engine."""

from __future__ import annotations

from reprocheck.model.finding import Severity
from reprocheck.model.rule import Needs
from reprocheck.rules._api import declare

ENGINE = Needs.ENGINE

BUILD_FAILED = declare("RC801", "image-build-failed", Severity.ERROR, "The image does not build", needs=ENGINE)
CRASHED = declare(
    "RC802",
    "prediction-crashed",
    Severity.ERROR,
    "The prediction exits with an error in the container (network, missing file or module...)",
    needs=ENGINE,
)
TIMED_OUT = declare(
    "RC803", "prediction-timed-out", Severity.ERROR, "The prediction runs past its time limit", needs=ENGINE
)
OUT_OF_MEMORY = declare(
    "RC804", "prediction-out-of-memory", Severity.ERROR, "The prediction needs more memory than its limit", needs=ENGINE
)
DIFFERS = declare(
    "RC805",
    "prediction-differs",
    Severity.ERROR,
    "The container's prediction differs from the one recorded on the developer's machine",
    needs=ENGINE,
)
