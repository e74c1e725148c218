"""``ready-log``: a regular expression the project writes, searched in what its server prints. It runs on the
host, so it runs in RE2 (google-re2): time linear in the text, no backtracking, so no pattern (``^(a+)+$``)
can stall the wait past ``ready-timeout``. RE2 has no backreferences and no lookaround; such a pattern is
refused when the spec is loaded. ``^`` and ``$`` match at line boundaries (as Python's ``re.MULTILINE``)."""

from __future__ import annotations

from typing import Any

MAX_PATTERN = 4096  # characters; RE2's own memory bound covers the rest


class LogPattern:
    def __init__(self, compiled: Any) -> None:
        self._compiled = compiled

    def search(self, text: str) -> bool:
        return self._compiled.search(text) is not None


def compile_log_pattern(pattern: str) -> LogPattern:
    """The pattern compiled by RE2, or ValueError saying why not (one line)."""
    import re2  # type: ignore[import-untyped]  # google-re2

    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"is longer than {MAX_PATTERN} characters")
    options = re2.Options()
    options.log_errors = False
    try:
        return LogPattern(re2.compile("(?m)" + pattern, options))
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(
            f"is not a regular expression RE2 accepts: {reason} (RE2 has no backreferences nor lookaround)"
        ) from None
