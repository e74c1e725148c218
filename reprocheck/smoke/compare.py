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

from reprocheck.model.bounded import TooDeep, loads
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
    if tol.floats_only and isinstance(exp, int) and isinstance(act, int) and _number(exp) and _number(act):
        if exp != act:
            yield Difference(_render(path), _short(exp), _short(act), "integers: exact")
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
        exp = loads(expected)
    except TooDeep as exc:
        return Comparison(False, mode, problem=f"the golden output is {exc}: it is not compared")
    except ValueError as exc:
        return Comparison(False, mode, problem=f"the golden output is not JSON ({exc})")
    try:
        act = loads(actual)
    except TooDeep as exc:
        return Comparison(False, mode, problem=f"the output is {exc}: it is not compared")
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


# ---- what kind of difference: pure classification for the diagnosis (smoke/diagnose.py)

ULPS = 64  # "float drift": within this many units in the last place (summation order, BLAS, CPU features)


@dataclass(frozen=True)
class Pattern:
    """A shape the differences share: ``kind`` is one of ``reordered``, ``whole-hours``, ``float-drift``,
    ``locale-format``; ``where`` the paths (or lines) it covers; ``note`` the evidence in words."""

    kind: str
    where: tuple[str, ...]
    note: str


def all_differences(expected: bytes, actual: bytes, mode: str) -> list[Difference]:
    """Every difference with exact tolerance (not only the first MAX_SHOWN)."""
    if mode != "json":
        return list(
            _text_diffs(expected.decode("utf-8", "replace").split("\n"), actual.decode("utf-8", "replace").split("\n"))
        )
    try:
        exp, act = loads(expected), loads(actual)
    except ValueError:
        return []
    return list(_walk(exp, act, [], EXACT, {}))


def generalise(where: str) -> str:
    """``$.p[3].x`` -> ``$.p[*].x``; ``line 4`` stays: the key that moves, whatever the row."""
    return re.sub(r"\[\d+\]", "[*]", where)


def moving_keys(
    first: bytes, second: bytes, mode: str, default: Tolerance = EXACT, keys: Mapping[str, Tolerance] | None = None
) -> list[str]:
    """The keys (generalised paths) whose values differ between two runs, beyond the spec's tolerance."""
    comparison_keys = keys or {}
    if mode == "json":
        try:
            a, b = loads(first), loads(second)
        except ValueError:
            return ["(the whole output)"] if first != second else []
        diffs: list[Difference] = list(_walk(a, b, [], default, comparison_keys))
    elif mode == "text":
        diffs = list(
            _text_diffs(_normalise(first.decode("utf-8", "replace")), _normalise(second.decode("utf-8", "replace")))
        )
    else:
        diffs = [] if first == second else all_differences(first, second, mode)
    return sorted({generalise(d.where) for d in diffs})


def _ulps(a: float, b: float) -> float:
    if a == b:
        return 0.0
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(a - b) / math.ulp(max(abs(a), abs(b)))


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _reordered(exp: Any, act: Any, path: list[str], out: list[str]) -> bool:
    """True when ``act`` equals ``exp`` up to the order of some list's items (recorded in ``out``)."""
    if isinstance(exp, dict) and isinstance(act, dict):
        if set(exp) != set(act):
            return False
        return all(_reordered(exp[k], act[k], [*path, k], out) for k in sorted(exp))
    if isinstance(exp, list) and isinstance(act, list):
        if len(exp) != len(act):
            return False
        if all(_canon(e) == _canon(a) for e, a in zip(exp, act, strict=True)):
            return True
        if sorted(map(_canon, exp)) == sorted(map(_canon, act)):
            out.append(_render(path))
            return True
        return all(_reordered(e, a, [*path, f"[{i}]"], out) for i, (e, a) in enumerate(zip(exp, act, strict=True)))
    return _canon(exp) == _canon(act)


_NUMBERISH = re.compile(r"^[\s\d.,'\u00a0\u202f+-]+$")


def _locale_pair(e: str, a: str) -> bool:
    """``"1,234.5"`` vs ``"1.234,5"``, ``"0.5"`` vs ``"0,5"``: the same digits, other separators."""
    if e == a or not (_NUMBERISH.match(e) and _NUMBERISH.match(a)):
        return False
    return re.sub(r"\D", "", e) == re.sub(r"\D", "", a) and any(c.isdigit() for c in e)


def _hours(e: Any, a: Any) -> int | None:
    """Whole hours between two timestamps (ISO strings or epoch seconds/milliseconds), else None."""
    from datetime import datetime

    if isinstance(e, str) and isinstance(a, str):
        try:
            de, da = datetime.fromisoformat(e), datetime.fromisoformat(a)
        except ValueError:
            return None
        if (de.tzinfo is None) != (da.tzinfo is None):
            de, da = de.replace(tzinfo=None), da.replace(tzinfo=None)
        seconds = (da - de).total_seconds()
    elif _number(e) and _number(a) and abs(float(e)) > 1e8:  # epoch seconds or milliseconds
        seconds = float(a) - float(e)
        if abs(float(e)) > 1e11:
            seconds /= 1000
    else:
        return None
    if seconds == 0 or seconds % 3600 or abs(seconds) > 26 * 3600:
        return None
    return int(seconds // 3600)


def classify(expected: bytes, actual: bytes, mode: str) -> tuple[Pattern, ...]:
    """Name the shape of the differences between the golden output and the container's: the same items in
    another order, timestamps off by whole hours, floats within a few ulps, numbers formatted by another
    locale. Empty when nothing recognisable (a real difference)."""
    out: list[Pattern] = []
    if mode == "json":
        try:
            exp, act = loads(expected), loads(actual)
        except ValueError:
            return ()
        moved: list[str] = []
        if _canon(exp) != _canon(act) and _reordered(exp, act, [], moved) and moved:
            out.append(Pattern("reordered", tuple(moved), "same values in another order"))
            return tuple(out)
        pairs = _leaf_pairs(exp, act, [])
    else:
        e_lines = expected.decode("utf-8", "replace").splitlines()
        a_lines = actual.decode("utf-8", "replace").splitlines()
        if e_lines != a_lines and sorted(e_lines) == sorted(a_lines):
            return (Pattern("reordered", ("lines",), "same lines in another order"),)
        pairs = [(f"line {i + 1}", e, a) for i, (e, a) in enumerate(zip(e_lines, a_lines, strict=False)) if e != a]
    if not pairs:
        return ()
    hours = {w: _hours(e, a) for w, e, a in pairs}
    if all(h is not None for h in hours.values()):
        shifts = sorted({h for h in hours.values() if h is not None})
        out.append(
            Pattern("whole-hours", tuple(hours), "off by " + " / ".join(f"{h:+d} h" for h in shifts) + " exactly")
        )
    floats = [(w, float(e), float(a)) for w, e, a in pairs if _number(e) and _number(a)]
    if floats and len(floats) == len(pairs):
        worst = max(_ulps(e, a) for _, e, a in floats)
        if worst <= ULPS:
            out.append(Pattern("float-drift", tuple(w for w, _, _ in floats), f"within {worst:.0f} ulp"))
    locale = [w for w, e, a in pairs if isinstance(e, str) and isinstance(a, str) and _locale_pair(e, a)]
    if locale and len(locale) == len(pairs):
        out.append(Pattern("locale-format", tuple(locale), "the same digits with other separators"))
    return tuple(out)


def _leaf_pairs(exp: Any, act: Any, path: list[str]) -> list[tuple[str, Any, Any]]:
    if isinstance(exp, dict) and isinstance(act, dict):
        out: list[tuple[str, Any, Any]] = []
        for k in sorted(set(exp) | set(act)):
            if k in exp and k in act:
                out += _leaf_pairs(exp[k], act[k], [*path, k])
            else:
                out.append((_render([*path, k]), exp.get(k), act.get(k)))
        return out
    if isinstance(exp, list) and isinstance(act, list) and len(exp) == len(act):
        out = []
        for i, (e, a) in enumerate(zip(exp, act, strict=True)):
            out += _leaf_pairs(e, a, [*path, f"[{i}]"])
        return out
    if _canon(exp) == _canon(act):
        return []
    return [(_render(path), exp, act)]
