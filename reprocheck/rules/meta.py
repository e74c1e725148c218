"""RC9xx: findings about the input itself rather than about reproducibility."""

from __future__ import annotations

from reprocheck.model.finding import Severity
from reprocheck.rules._api import declare

PARSE_ERROR = declare(
    "RC900",
    "parse-error",
    Severity.ERROR,
    "A file or instruction that does not parse",
    equivalents={"hadolint": ("DL1000",)},
)
INVALID_PRAGMA = declare("RC901", "invalid-pragma", Severity.WARNING, "An ignore comment that names no known rule")
UNUSED_SUPPRESSION = declare(
    "RC902",
    "unused-suppression",
    Severity.INFO,
    "An ignore comment or per-file-ignores entry that suppressed nothing",
)
INLINE_IGNORE_REFUSED = declare(
    "RC903",
    "inline-ignore-refused",
    Severity.ERROR,
    "An inline suppression where the configuration sets disallow-inline-ignores",
)
CI_REF_NOT_PINNED = declare(
    "RC904",
    "ci-ref-not-pinned",
    Severity.WARNING,
    "A CI configuration pulls an action or hook repository by a tag or branch, not a commit",
)
