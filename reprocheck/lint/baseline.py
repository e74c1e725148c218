"""Finding fingerprints and baselines.

A fingerprint names a finding without its line number, so that it survives unrelated edits above it:
``sha256(rule, path, the offending line's text with whitespace collapsed)``, plus the occurrence index among
findings with the same three (two identical lines with the same finding stay two). Findings on a file whose
text is not known use their message instead of the line. ``--baseline FILE`` reports only findings whose
fingerprint is not in FILE; ``--write-baseline FILE`` records the current ones. SARIF carries the
fingerprint as ``partialFingerprints["reprocheck/v1"]``.
"""

from __future__ import annotations

import copy
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from reprocheck.errors import ConfigError, UsageError
from reprocheck.model.finding import Finding

VERSION = 1
_MAX_TEXT = 8 * 1024 * 1024  # files larger than this are fingerprinted by message


def normal_path(path: str) -> str:
    """Forward slashes, relative to the working directory when under it."""
    if os.path.isabs(path):
        try:
            rel = os.path.relpath(path)
        except ValueError:
            rel = path
        path = path if rel.startswith("..") else rel
    return os.path.normpath(path).replace(os.sep, "/")


def _line_text(text: str | None, line: int, lines_cache: dict[str, list[str]], path: str) -> str | None:
    if text is None:
        return None
    lines = lines_cache.get(path)
    if lines is None:
        lines = lines_cache[path] = text.splitlines()
    if not 1 <= line <= len(lines):
        return None
    return " ".join(lines[line - 1].split())


def _sha256() -> Any:
    """SHA-256 from the interpreter's own module when it has one: ``import hashlib`` loads OpenSSL, a tenth
    of a one-file lint's instructions, for the same digest."""
    try:
        from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]  # CPython 3.11; 3.12 renamed it
    except ImportError:
        from hashlib import sha256
    return sha256


def with_fingerprints(findings: Sequence[Finding], texts: Mapping[str, str]) -> list[Finding]:
    """``findings`` (in report order) with their ``fingerprint`` set."""
    seen: Counter[str] = Counter()
    cache: dict[str, list[str]] = {}
    paths: dict[str, str] = {}  # normal_path costs ~7 us: once per file, not per finding
    out: list[Finding] = []
    sha256 = _sha256()
    for f in findings:
        shown = f.location.path
        path = paths.get(shown)
        if path is None:
            path = paths[shown] = normal_path(shown)
        content = _line_text(texts.get(shown), f.location.line, cache, shown)
        basis = f"line:{content}" if content is not None else f"message:{f.message}"
        digest = sha256(f"{f.rule}\0{path}\0{basis}".encode("utf-8", "surrogateescape")).hexdigest()[:32]
        n = seen[digest]
        seen[digest] += 1
        out.append(_fingerprinted(f, f"{digest}:{n}"))
    return out


def _fingerprinted(f: Finding, fingerprint: str) -> Finding:
    """``replace(f, fingerprint=...)`` without running ``__init__`` again (a third of the cost of
    fingerprinting thousands of findings): only the fingerprint changes, nothing to clean."""
    out = copy.copy(f)
    object.__setattr__(out, "fingerprint", fingerprint)
    return out


def read_texts(paths: Iterable[str]) -> dict[str, str]:
    """The text of each path that is a regular file of reasonable size (for findings made elsewhere)."""
    out: dict[str, str] = {}
    for p in set(paths):
        try:
            st = os.stat(p)
            if not Path(p).is_file() or st.st_size > _MAX_TEXT:
                continue
            out[p] = Path(p).read_text(encoding="utf-8", errors="replace")
        except (OSError, ValueError):
            continue
    return out


def load_baseline(path: str) -> frozenset[str]:
    """The fingerprints a baseline file holds; a clear error when it is missing or malformed."""
    p = Path(path)
    if not p.is_file():
        raise UsageError("baseline file not found (create it with --write-baseline)", path=path)
    try:
        if p.stat().st_size > _MAX_TEXT * 8:
            raise ConfigError("too large for a baseline (over 64 MB)", path=path)
        import json

        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", path=path) from None
    except ValueError as exc:
        raise ConfigError(f"not JSON: {exc}", path=path) from None
    except RecursionError:
        raise ConfigError("not a reprocheck baseline: nested too deeply", path=path) from None
    entries = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(entries, list):
        expected = f'{{"version": {VERSION}, "findings": [...]}}'
        raise ConfigError(f"not a reprocheck baseline (expected {expected})", path=path)
    out: set[str] = set()
    for k, e in enumerate(entries):
        fp = e.get("fingerprint") if isinstance(e, dict) else None
        if not isinstance(fp, str):
            raise ConfigError(f"findings[{k}] has no string `fingerprint`", path=path)
        out.add(fp)
    return frozenset(out)


def apply_baseline(findings: Sequence[Finding], fingerprints: frozenset[str], path: str) -> list[Finding]:
    """Mark active findings recorded in the baseline as suppressed (they stay in the report, as known)."""
    why = f"baseline `{path}`"
    return [f.suppressed(why) if f.suppressed_by is None and f.fingerprint in fingerprints else f for f in findings]


def baseline_document(findings: Iterable[Finding]) -> dict[str, Any]:
    entries = [
        {
            "fingerprint": f.fingerprint,
            "rule": f.rule,
            "path": normal_path(f.location.path),
            "line": f.location.line,
            "message": f.message,
        }
        for f in findings
        if f.suppressed_by is None and f.fingerprint
    ]
    return {"version": VERSION, "tool": "reprocheck", "findings": entries}


def write_baseline(path: str, findings: Iterable[Finding]) -> None:
    """Write the active findings' fingerprints, atomically (a partial file is never left behind)."""
    from reprocheck.files import write_atomic

    try:
        import json

        write_atomic(path, json.dumps(baseline_document(findings), indent=2, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write the baseline: {exc.strerror or exc}", path=path) from None
