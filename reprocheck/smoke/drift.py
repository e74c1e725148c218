"""What a pass proved: the environment the golden output was recorded in against the image's, when the
prediction matches. A match under another Python, other package versions, another OS or CPU is still a
match, but the report says so (RC870, at info unless a team raises it), so a green result is not taken for
more than it is. Pure: two environment records in, lines out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_TOOLING = {"pip", "setuptools", "wheel", "distribute", "pkg-resources"}
MAX_PACKAGES = 8


def _get(record: Mapping[str, Any], *keys: str) -> Any:
    cur: Any = record
    for key in keys:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(key)
    return cur


def _versions(record: Mapping[str, Any]) -> dict[str, str]:
    dists = record.get("distributions")
    if isinstance(dists, Mapping) and dists:
        return {str(k): str(v.get("version", "")) for k, v in dists.items() if isinstance(v, Mapping)}
    raw = record.get("packages")  # an old record: only the lock's names
    return {str(k): str(v) for k, v in raw.items() if v} if isinstance(raw, Mapping) else {}


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _libc(record: Mapping[str, Any]) -> str:
    return str(_get(record, "platform", "libc") or "")


def environment_drift(host: Mapping[str, Any], image: Mapping[str, Any]) -> list[str]:
    """Each difference that can change a prediction, as ``what: host -> image`` (empty: the same)."""
    lines: list[str] = []
    hp, ip = _get(host, "interpreter", "version"), _get(image, "interpreter", "version")
    if hp and ip and _minor(str(hp)) != _minor(str(ip)):  # a patch release changes no prediction worth a note
        lines.append(f"Python: {hp} (golden) -> {ip} (image)")
    hv, iv = _versions(host), _versions(image)
    raw_lock = host.get("packages")
    lock: Mapping[str, Any] = raw_lock if isinstance(raw_lock, Mapping) else {}
    names = sorted(set(hv) | set(iv), key=lambda n: (n not in lock, n))
    changed = []
    for name in names:
        if name in _TOOLING:
            continue
        a, b = hv.get(name), iv.get(name)
        if a and b and a != b:
            changed.append(f"{name} {a} -> {b}")
        elif a and not b and name in lock:
            changed.append(f"{name} {a} -> (not installed)")
        elif b and not a and name in lock:
            changed.append(f"{name} (not installed) -> {b}")
    if changed:
        more = f" and {len(changed) - MAX_PACKAGES} more" if len(changed) > MAX_PACKAGES else ""
        lines.append(f"packages: {', '.join(changed[:MAX_PACKAGES])}{more}")
    hs, is_ = _get(host, "platform", "system"), _get(image, "platform", "system")
    hl, il = _libc(host), _libc(image)
    if (hs and is_ and hs != is_) or (hl and il and hl != il):
        lines.append(f"OS: {' '.join(filter(None, (hs, hl)))} (golden) -> {' '.join(filter(None, (is_, il)))} (image)")
    hm, im = _get(host, "platform", "machine"), _get(image, "platform", "machine")
    if hm and im and hm != im:
        lines.append(f"CPU: {hm} (golden) -> {im} (image)")
    return lines
