"""The parts every HTML report shares: escaping, the page shell with its Content-Security-Policy, small SVG charts.

The pages are self-contained (inline CSS and SVG, no network, no fonts) and readable without JavaScript. Text
that came from a project (file contents, output, paths, messages) goes through :func:`esc`, which escapes
markup *and* shows control and bidirectional-override characters visibly (``\\x1b``, ``\\u202e``), so a
hostile project can neither inject markup nor reorder what the reader sees. The policy header is the second
wall: ``script-src`` allows only the page's own script by its hash, so even a markup injection that got past
the escaping could not run anything.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from html import escape

from reprocheck.model.safe import safe_text


def esc(text: object) -> str:
    """``text`` safe inside an HTML element or a double-quoted attribute: the one sanitizer every reporter uses
    (controls, bidi overrides and undecodable bytes shown visibly), then HTML's own escaping."""
    return escape(safe_text(str(text)), quote=True)


STYLE = """
:root{--fail:#b3261e;--warn:#9a6700;--info:#0b57d0;--pass:#137333;--mute:#5f6368;--line:#dadce0}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:16px;
color:#202124}
h1{font-size:22px;margin:4px 0 8px}h2{font-size:17px;margin:24px 0 8px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:0 0 4px}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border:1px solid var(--line);padding:3px 6px;
text-align:left;vertical-align:top}th{background:#f1f3f4}td.num,th.num{text-align:right}
.verdict{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:600}
.v-failed,.v-fail{background:var(--fail)}.v-passed,.v-pass{background:var(--pass)}
.v-incomplete,.v-error{background:var(--warn)}
.s-failed{color:var(--fail);font-weight:600}.s-passed{color:var(--pass)}.s-skipped{color:var(--mute)}
.finding{border:1px solid var(--line);border-left:5px solid var(--mute);border-radius:4px;padding:8px 10px;
margin:10px 0}.sev-error{border-left-color:var(--fail)}.sev-warning{border-left-color:var(--warn)}
.sev-info{border-left-color:var(--info)}.loc{color:var(--mute);font-family:monospace}
pre{background:#f8f9fa;border:1px solid var(--line);padding:6px;overflow:auto;white-space:pre-wrap;margin:4px 0}
pre .hit{background:#fce8e6;display:block}
tr.differs td.val{background:#fce8e6}td.val{font-family:monospace;white-space:pre-wrap;word-break:break-all}
.hint{background:#e6f4ea;border-radius:4px;padding:4px 8px;white-space:pre-wrap}
.muted{color:var(--mute)}svg text{font:11px system-ui,sans-serif}
td.path{word-break:break-all;font-family:monospace;font-size:12px}
ul.tree{font-family:monospace;list-style:none;padding-left:14px}ul.tree li{margin:0}
"""

_SCRIPT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src {scripts}; base-uri 'none'"


def page(title: str, body: str, script: str | None = None) -> str:
    """A whole document. ``script`` (our own, never project text) is allowed by its hash and nothing else is."""
    if script is None:
        scripts, tag = "'none'", ""
    else:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        scripts, tag = f"'sha256-{digest}'", f"<script>{script}</script>"
    csp = _SCRIPT_CSP.format(scripts=scripts)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n{tag}</body></html>\n"
    )


def bar_chart(
    items: Sequence[tuple[str, float]], *, unit: str = "", maximum: float | None = None, label: str = ""
) -> str:
    """Horizontal bars, one per (label, value); ``maximum`` fixes the scale (1.0 for shares)."""
    if not items:
        return ""
    top = maximum if maximum is not None else max((v for _, v in items), default=0.0) or 1.0
    row, left, width = 18, 330, 380
    height = row * len(items) + 6
    parts = [
        f'<svg class="chart" role="img" aria-label="{esc(label)}" width="{left + width + 70}" height="{height}" '
        f'viewBox="0 0 {left + width + 70} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for k, (name, value) in enumerate(items):
        y = 3 + k * row
        w = 0 if top <= 0 else max(0.0, min(1.0, value / top)) * width
        shown = f"{value:.0%}" if unit == "%" else f"{value:g}{unit}"
        short = name if len(name) <= 52 else "..." + name[-49:]
        parts.append(
            f'<text x="{left - 4}" y="{y + 12}" text-anchor="end">{esc(short)}</text>'
            f'<rect x="{left}" y="{y + 2}" width="{w:.1f}" height="{row - 5}" fill="#1a73e8"><title>{esc(name)}: '
            f"{esc(shown)}</title></rect>"
            f'<text x="{left + w + 4:.1f}" y="{y + 12}">{esc(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(series: Sequence[tuple[str, Sequence[float]]], labels: Sequence[str], *, label: str = "") -> str:
    """One polyline per series over the same x positions (``labels``), each scaled to its own maximum."""
    n = len(labels)
    if n == 0 or not series:
        return ""
    width, height, pad = 640, 160, 30
    colors = ("#1a73e8", "#b3261e", "#137333", "#9a6700")
    parts = [
        f'<svg class="chart trend" role="img" aria-label="{esc(label)}" width="{width}" height="{height + 20}" '
        f'viewBox="0 0 {width} {height + 20}" xmlns="http://www.w3.org/2000/svg">'
        f'<line x1="{pad}" y1="{height}" x2="{width - 10}" y2="{height}" stroke="#999"/>'
    ]
    step = (width - pad - 10) / max(1, n - 1)
    for k, (name, values) in enumerate(series):
        top = max(values, default=0.0) or 1.0
        points = " ".join(
            f"{pad + i * step:.1f},{height - (v / top) * (height - 20):.1f}" for i, v in enumerate(values)
        )
        color = colors[k % len(colors)]
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>')
        parts.append(
            f'<text x="{width - 10}" y="{14 + 13 * k}" fill="{color}" text-anchor="end">{esc(name)} '
            f"(latest {values[-1]:.4g}, max {top:.4g})</text>"
        )
    first, last = labels[0], labels[-1]
    parts.append(f'<text x="{pad}" y="{height + 15}">{esc(first)}</text>')
    if n > 1:
        parts.append(f'<text x="{width - 10}" y="{height + 15}" text-anchor="end">{esc(last)}</text>')
    parts.append("</svg>")
    return "".join(parts)


__all__ = ["bar_chart", "esc", "line_chart", "page"]
