"""Compare a prediction with the golden output: exactly, as text with normalised whitespace, or as JSON
with numeric tolerances (``|actual - expected| <= atol + rtol * |expected|``, numpy's isclose) and per-key
overrides. Pure: bytes in, a Comparison that says what differs out."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reprocheck.smoke.spec import Tolerance

MAX_SHOWN = 10
EXACT = Tolerance()


@dataclass(frozen=True)
class Difference:
    where: str  # "$.predictions[3]" or "line 4"
    expected: str
    actual: str
    tolerance: str = ""


@dataclass(frozen=True)
class Comparison:
    equal: bool
    mode: str
    differences: tuple[Difference, ...] = ()
    total: int = 0  # all differences (only the first MAX_SHOWN are kept)
    problem: str = ""  # when the output could not be compared at all (not JSON...)


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _segments(path: str) -> list[str]:
    """``$.a.b[*].c`` / ``a.b[2]`` -> ["a", "b", "[*]", "c"] / ["a", "b", "[2]"]."""
    path = path.removeprefix("$").lstrip(".")
    return list(re.findall(r"[^.\[\]]+|\[[^\]]*\]", path))


def _matches(pattern: list[str], actual: list[str]) -> bool:
    if len(pattern) != len(actual):
        return False
    for p, a in zip(pattern, actual, strict=True):
        if p in ("*", "[*]"):
            continue
        if p != a:
            return False
    return True


def tolerance_for(path: list[str], default: Tolerance, keys: Mapping[str, Tolerance]) -> Tolerance:
    """The most specific override whose path matches (fewest wildcards), else the default."""
    best: tuple[int, Tolerance] | None = None
    for pattern, tol in keys.items():
        segs = _segments(pattern)
        if _matches(segs, path):
            score = -sum(s in ("*", "[*]") for s in segs)
            if best is None or score > best[0]:
                best = (score, tol)
    return best[1] if best else default


def _render(path: list[str]) -> str:
    out = "$"
    for seg in path:
        out += seg if seg.startswith("[") else f".{seg}"
    return out


def _walk(
    exp: Any, act: Any, path: list[str], default: Tolerance, keys: Mapping[str, Tolerance]
) -> Iterator[Difference]:
    tol = tolerance_for(path, default, keys)
    if tol.ignore:
        return
    if isinstance(exp, dict) and isinstance(act, dict):
        for k in sorted(set(exp) | set(act)):
            sub = [*path, k]
            if k not in act:
                if not tolerance_for(sub, default, keys).ignore:
                    yield Difference(_render(sub), _short(exp[k]), "(missing)")
            elif k not in exp:
                if not tolerance_for(sub, default, keys).ignore:
                    yield Difference(_render(sub), "(absent)", _short(act[k]))
            else:
                yield from _walk(exp[k], act[k], sub, default, keys)
        return
    if isinstance(exp, list) and isinstance(act, list):
        if len(exp) != len(act):
            yield Difference(_render(path), f"{len(exp)} items", f"{len(act)} items")
        for i, (e, a) in enumerate(zip(exp, act, strict=False)):
            yield from _walk(e, a, [*path, f"[{i}]"], default, keys)
        return
    if _number(exp) and _number(act):
        e, a = float(exp), float(act)
        if math.isnan(e) and math.isnan(a):
            return
        if not abs(a - e) <= tol.atol + tol.rtol * abs(e):
            shown = f"rtol={tol.rtol:g}, atol={tol.atol:g}; off by {abs(a - e):.3g}"
            yield Difference(_render(path), _short(exp), _short(act), shown)
        return
    if type(exp) is not type(act) or exp != act:
        yield Difference(_render(path), _short(exp), _short(act))


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _normalise(text: str) -> list[str]:
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _limited(diffs: Iterator[Difference], mode: str) -> Comparison:
    shown: list[Difference] = []
    total = 0
    for d in diffs:
        total += 1
        if len(shown) < MAX_SHOWN:
            shown.append(d)
    return Comparison(total == 0, mode, tuple(shown), total)


def compare(
    expected: bytes,
    actual: bytes,
    mode: str,
    default: Tolerance = EXACT,
    keys: Mapping[str, Tolerance] | None = None,
) -> Comparison:
    """Judge ``actual`` against ``expected``."""
    keys = keys or {}
    if mode == "exact":
        if expected == actual:
            return Comparison(True, mode)
        return _limited(
            _text_diffs(expected.decode("utf-8", "replace").split("\n"), actual.decode("utf-8", "replace").split("\n")),
            mode,
        )
    if mode == "text":
        return _limited(
            _text_diffs(_normalise(expected.decode("utf-8", "replace")), _normalise(actual.decode("utf-8", "replace"))),
            mode,
        )
    try:
        exp = json.loads(expected)
    except ValueError as exc:
        return Comparison(False, mode, problem=f"the golden output is not JSON ({exc})")
    try:
        act = json.loads(actual)
    except ValueError as exc:
        head = actual.decode("utf-8", "replace").strip().splitlines()[:1]
        return Comparison(False, mode, problem=f"the output is not JSON ({exc}); it starts with {head!r}")
    return _limited(_walk(exp, act, [], default, keys), mode)


def _text_diffs(exp: list[str], act: list[str]) -> Iterator[Difference]:
    for i in range(max(len(exp), len(act))):
        e = exp[i] if i < len(exp) else "(no line)"
        a = act[i] if i < len(act) else "(no line)"
        if e != a:
            yield Difference(f"line {i + 1}", _short(e), _short(a))
