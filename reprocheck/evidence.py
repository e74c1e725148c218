"""Pick the lines of a long log that explain a failure: errors, warnings, "requires", "not found", "conflict"...
wherever they are, not only the last ones. Pure; shared by the build failure (RC801) and the crash (RC802)
explanations."""

from __future__ import annotations

import re
from collections.abc import Sequence

EXPLANATORY = re.compile(
    r"error|warning|requires?\b|required|not found|no such|conflict|incompatib|cannot|can't|could not|"
    r"unable to|denied|refused|failed|invalid|unsupported|not supported|but you (?:are using|have)|"
    r"no matching distribution|not available|does not exist|missing|undefined symbol|exception",
    re.IGNORECASE,
)
# lines that match EXPLANATORY but explain nothing
_NOISE = re.compile(
    r"^\s*(?:#\d+ )?(?:WARNING: Running pip as the 'root' user|WARNING: You are using pip version|"
    r"\[notice\]|You should consider upgrading|DEPRECATION:)",
    re.IGNORECASE,
)
_MARKERS = re.compile(r"^[\s^~]*$")  # Python 3.11's ^^^^ under a traceback line


def pick_explanatory(lines: Sequence[str], limit: int = 20, tail: int = 3) -> list[str]:
    """The explanatory lines of ``lines`` in their order, at most ``limit`` (the first and the last ones when
    there are more), always followed by the last ``tail`` lines. Duplicates are dropped."""
    lines = [line.rstrip() for line in lines]
    picked = [i for i, line in enumerate(lines) if EXPLANATORY.search(line) and not _NOISE.search(line)]
    if len(picked) > limit:
        half = limit // 2
        picked = picked[:half] + picked[-(limit - half) :]
    last = [i for i in range(max(0, len(lines) - tail), len(lines)) if lines[i].strip()]
    seen: set[str] = set()
    out: list[str] = []
    for i in sorted(set(picked) | set(last)):
        text = lines[i]
        if text.strip() and text not in seen and not _MARKERS.match(text):
            seen.add(text)
            out.append(text)
    return out
