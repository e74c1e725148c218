"""Why did the prediction fail? Pure: exit status, flags and stderr in, a cause and the lines that show it out."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reprocheck.model.rule import RuleMeta
from reprocheck.rules.runtime import CRASHED, OUT_OF_MEMORY, TIMED_OUT

# (cause, hint, pattern) in the order they are tried; the first match names the cause
_CAUSES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "network",
        "the prediction reaches the network, which the sandbox turns off: ship the weights in the image "
        "(downloaded with a pinned revision and a checksum at build time), or set `network = true` if that is intended",
        re.compile(
            r"Temporary failure in name resolution|Name or service not known|nodename nor servname|"
            r"Network is unreachable|Connection refused|Failed to establish a new connection|Max retries exceeded|"
            r"urlopen error|getaddrinfo failed|ConnectionError|socket\.gaierror|Could not resolve host|"
            r"LocalEntryNotFoundError|offline mode is enabled",
            re.IGNORECASE,
        ),
    ),
    (
        "module not found",
        "a package the host has is not in the image: add it to the lock and rebuild",
        re.compile(r"ModuleNotFoundError|No module named|ImportError: cannot import name|ImportError"),
    ),
    (
        "file not found",
        "a file the host has is not in the image: check COPY, the build context and .dockerignore "
        "(`reprocheck lint` reports RC705 for these)",
        re.compile(r"FileNotFoundError|No such file or directory|can't open file|not found", re.IGNORECASE),
    ),
    (
        "read-only file system",
        "the prediction writes outside /tmp; the sandbox's root file system is read-only: write to /tmp, "
        "or declare the file as `output`",
        re.compile(r"Read-only file system", re.IGNORECASE),
    ),
    (
        "permission denied",
        "the prediction runs as a non-root user in the sandbox: make the files it reads world-readable",
        re.compile(r"Permission denied|PermissionError", re.IGNORECASE),
    ),
    (
        "out of memory",
        "the prediction needs more memory than the limit: raise `memory`, or make the model smaller",
        re.compile(r"MemoryError|Cannot allocate memory|std::bad_alloc|out of memory", re.IGNORECASE),
    ),
)


@dataclass(frozen=True)
class Explanation:
    cause: str
    hint: str
    evidence: tuple[str, ...]  # the last lines of stderr

    @property
    def rule(self) -> RuleMeta:
        """TIMED_OUT for a timeout, OUT_OF_MEMORY for memory, CRASHED for every other failure."""
        return {"timeout": TIMED_OUT, "out of memory": OUT_OF_MEMORY}.get(self.cause, CRASHED)


def explain(exit_code: int | None, stderr: bytes, timed_out: bool, oom_killed: bool, tail: int = 15) -> Explanation:
    lines = stderr.decode("utf-8", "replace").rstrip().splitlines()
    evidence = tuple(lines[-tail:])
    if timed_out:
        return Explanation(
            "timeout",
            "the prediction ran past `timeout` and was killed: raise it, or make the "
            "prediction faster (is it downloading or training at start-up?)",
            evidence,
        )
    if oom_killed or (exit_code == 137 and not lines):
        return Explanation("out of memory", _CAUSES[5][1] + " (the kernel killed it: exit status 137)", evidence)
    text = "\n".join(lines)
    for cause, hint, pattern in _CAUSES:
        if pattern.search(text):
            return Explanation(cause, hint, evidence)
    return Explanation("crash", f"the prediction exited with status {exit_code}; see the end of its stderr", evidence)
