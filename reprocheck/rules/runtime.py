"""RC8xx: what only a build and a run can show. Declared here so that selection, severities, pragmas and
every reporter treat them like the static rules; the checks live in ``reprocheck.smoke`` (and verify,
rebuild) and need a container engine."""

from __future__ import annotations

from reprocheck.model.finding import Severity
from reprocheck.model.rule import Needs, Stage
from reprocheck.rules._api import declare

ENGINE = Needs.ENGINE

BUILD_FAILED = declare(
    "RC801", "image-build-failed", Severity.ERROR, "The image does not build", needs=ENGINE, stage=Stage.BUILD
)
CRASHED = declare(
    "RC802",
    "prediction-crashed",
    Severity.ERROR,
    "The prediction exits with an error in the container (network, missing file or module...)",
    needs=ENGINE,
    stage=Stage.SMOKE,
)
TIMED_OUT = declare(
    "RC803",
    "prediction-timed-out",
    Severity.ERROR,
    "The prediction runs past its time limit",
    needs=ENGINE,
    stage=Stage.SMOKE,
)
OUT_OF_MEMORY = declare(
    "RC804",
    "prediction-out-of-memory",
    Severity.ERROR,
    "The prediction needs more memory than its limit",
    needs=ENGINE,
    stage=Stage.SMOKE,
)
DIFFERS = declare(
    "RC805",
    "prediction-differs",
    Severity.ERROR,
    "The container's prediction differs from the one recorded on the developer's machine",
    needs=ENGINE,
    stage=Stage.SMOKE,
)
SERVER_NOT_READY = declare(
    "RC806",
    "server-not-ready",
    Severity.ERROR,
    "The model server does not become ready (readiness check) within its time limit",
    needs=ENGINE,
    stage=Stage.SMOKE,
)
OUTPUT_TOO_LARGE = declare(
    "RC807",
    "prediction-output-too-large",
    Severity.ERROR,
    "The prediction writes more than its output limit (max-output) to stdout, stderr or its output file",
    needs=ENGINE,
    stage=Stage.SMOKE,
)
NOT_DETERMINISTIC = declare(
    "RC808",
    "prediction-not-deterministic",
    Severity.WARNING,
    "The prediction gives different outputs in two runs on the developer's machine",
    needs=ENGINE,
    stage=Stage.SMOKE,
)

# verify: the image against its lock and its Dockerfile
PACKAGE_MISSING = declare(
    "RC810",
    "image-package-missing",
    Severity.ERROR,
    "A package of the lock is not installed in the image",
    needs=ENGINE,
    stage=Stage.VERIFY,
)
PACKAGE_UNEXPECTED = declare(
    "RC811",
    "image-package-unexpected",
    Severity.WARNING,
    "The image holds a Python package the lock does not name",
    needs=ENGINE,
    stage=Stage.VERIFY,
)
PACKAGE_VERSION = declare(
    "RC812",
    "image-package-version-mismatch",
    Severity.ERROR,
    "A package in the image has another version than the lock says",
    needs=ENGINE,
    stage=Stage.VERIFY,
)
PYTHON_VERSION = declare(
    "RC813",
    "image-python-mismatch",
    Severity.ERROR,
    "The image's Python is not the one the lock was made for",
    needs=ENGINE,
    stage=Stage.VERIFY,
)
OS_PACKAGE_VERSION = declare(
    "RC814",
    "image-os-package-mismatch",
    Severity.ERROR,
    "An OS package the Dockerfile pins has another version in the image",
    needs=ENGINE,
    stage=Stage.VERIFY,
)
RUNS_AS_ROOT = declare(
    "RC815", "image-runs-as-root", Severity.WARNING, "The image runs as root", needs=ENGINE, stage=Stage.VERIFY
)
BASE_DIGEST = declare(
    "RC816",
    "base-image-digest-differs",
    Severity.WARNING,
    "The base image's digest on its registry differs from the one the Dockerfile pins",
    needs=ENGINE,
    stage=Stage.VERIFY,
)

# rebuild: two builds of the same inputs, compared
REBUILD_CONTENT = declare(
    "RC820",
    "rebuild-content-differs",
    Severity.ERROR,
    "Two builds of the same inputs hold files with different content",
    needs=ENGINE,
    stage=Stage.REBUILD,
)
REBUILD_PYC = declare(
    "RC821",
    "rebuild-bytecode-differs",
    Severity.WARNING,
    "Two builds differ in byte-compiled Python files (.pyc)",
    needs=ENGINE,
    stage=Stage.REBUILD,
)
REBUILD_CACHES = declare(
    "RC822",
    "rebuild-caches-differ",
    Severity.WARNING,
    "Two builds differ in package lists, caches or logs left in the image",
    needs=ENGINE,
    stage=Stage.REBUILD,
)
REBUILD_METADATA = declare(
    "RC823",
    "rebuild-metadata-differs",
    Severity.WARNING,
    "Two builds differ in file modes, owners or link targets",
    needs=ENGINE,
    stage=Stage.REBUILD,
)
REBUILD_MTIME = declare(
    "RC824",
    "rebuild-mtime-only",
    Severity.INFO,
    "Two builds differ only in file modification times",
    needs=ENGINE,
    stage=Stage.REBUILD,
)
REBUILD_CONFIG = declare(
    "RC825",
    "rebuild-config-differs",
    Severity.ERROR,
    "Two builds of the same inputs have different image configs",
    needs=ENGINE,
    stage=Stage.REBUILD,
)

# secnet (issue 24): serve mode as a client that trusts nothing
SERVER_MISBEHAVED = declare(
    "RC850",
    "server-misbehaved",
    Severity.ERROR,
    "The model server redirects, or answers with something that is not well-formed HTTP",
    needs=ENGINE,
    stage=Stage.SMOKE,
)

# ML checks inside the built image (verify): what the ML probe (reprocheck/ml_probe.py) found, judged by
# reprocheck/verify/ml.py
ML_UNRESOLVED_LIBRARY = declare(
    "ML801",
    "image-shared-library-missing",
    Severity.ERROR,
    "A shared library that an installed extension module needs is not in the image (libGL.so.1, libgomp.so.1...)",
    needs=ENGINE,
    stage=Stage.VERIFY,
)
ML_SHARED_IMPORT_PACKAGE = declare(
    "ML802",
    "image-import-package-two-distributions",
    Severity.ERROR,
    "Two installed distributions write the same import package (opencv-python and opencv-python-headless...)",
    needs=ENGINE,
    stage=Stage.VERIFY,
)
ML_LFS_POINTER = declare(
    "ML803",
    "image-lfs-pointer",
    Severity.ERROR,
    "A file the image holds is a Git LFS pointer, not the model or data it stands for",
    needs=ENGINE,
    stage=Stage.VERIFY,
)
# ---- issue 26 (firstweek): what a pass proved, and the adoption path
PASSED_ELSEWHERE = declare(
    "RC870",
    "passed-in-another-environment",
    Severity.INFO,
    "The prediction matches, but the image's environment differs from the one the golden was recorded in",
    needs=ENGINE,
    stage=Stage.SMOKE,
)
