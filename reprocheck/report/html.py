"""``--format html``: one self-contained page for ``lint``, ``check``, ``smoke``, ``verify`` and ``rebuild``.

What a person looks for first: the verdict and the stage table (with a chart of where the time went), then
each finding with the lines of the file it points at, its cause, the evidence and the fix; a smoke mismatch
shows the golden and the container's values side by side, the differing keys highlighted, with the tolerance
applied; the environment differences (host against image) as a table; a rebuild's differences grouped by
cause and by Dockerfile instruction, with a tree of the changed paths. Everything from the project goes
through ``html_kit.esc``; the page runs no script (its policy forbids any).
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import groupby
from typing import Any

from reprocheck.model.finding import Finding
from reprocheck.model.report import Report

from . import statistics
from .html_kit import bar_chart, esc, page

EXCERPT_MAX_BYTES = 1 << 20  # a file larger than this is not quoted
EXCERPT_CONTEXT = 2
TREE_MAX_PATHS = 400


def _excerpt(path: str, line: int) -> list[tuple[int, str]]:
    """Lines ``line`` +- 2 of a regular file of at most 1 MiB, reached through no symbolic link: the report
    quotes what was linted, never a FIFO, a device or a file a link points at outside the project."""
    if line < 1:
        return []
    try:
        if os.path.realpath(path) != os.path.abspath(path):
            return []
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > EXCERPT_MAX_BYTES:
            return []
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(EXCERPT_MAX_BYTES)
    except (OSError, ValueError):
        return []
    if b"\0" in data[:8192]:
        return []
    lines = data.decode("utf-8", "replace").splitlines()
    lo, hi = max(1, line - EXCERPT_CONTEXT), min(len(lines), line + EXCERPT_CONTEXT)
    return [(k, lines[k - 1]) for k in range(lo, hi + 1)]


def _excerpt_html(f: Finding) -> str:
    rows = _excerpt(f.location.path, f.location.line)
    if not rows:
        return ""
    body = "".join(
        f'<span class="hit">{k:>4}  {esc(text)}</span>' if k == f.location.line else f"{k:>4}  {esc(text)}\n"
        for k, text in rows
    )
    return f'<pre class="excerpt">{body}</pre>'


def _differences(details: Mapping[str, Any]) -> str:
    diffs = details.get("differences")
    if not isinstance(diffs, list) or not diffs:
        return ""
    rows = []
    for d in diffs:
        if not isinstance(d, Mapping):
            continue
        rows.append(
            f'<tr class="differs"><td class="key">{esc(d.get("where", ""))}</td>'
            f'<td class="val golden">{esc(d.get("expected", ""))}</td>'
            f'<td class="val container">{esc(d.get("actual", ""))}</td>'
            f'<td class="tol">{esc(d.get("tolerance", "") or "exact")}</td></tr>'
        )
    more = details.get("more_differences")
    tail = f'<p class="muted">... and {esc(more)} more</p>' if more else ""
    return (
        '<table class="side-by-side"><tr><th>key</th><th>golden (the host)</th><th>the container</th>'
        f"<th>tolerance</th></tr>{''.join(rows)}</table>{tail}"
    )


def _environment(details: Mapping[str, Any]) -> str:
    """Packages and facts that differ between the host's record and the image's, as one table."""
    rows: list[tuple[str, str, str]] = []
    pkgs = details.get("packages")
    if isinstance(pkgs, list):
        rows.extend(
            (f"package {p.get('name', '?')}", str(p.get("host") or "-"), str(p.get("image") or "-"))
            for p in pkgs[:40]
            if isinstance(p, Mapping)
        )
    for key in ("timezone", "locale"):
        value = details.get(key)
        if isinstance(value, Mapping) and "host" in value:
            rows.append((key, str(value.get("host")), str(value.get("image"))))
    if not rows:
        return ""
    cells = "".join(f"<tr><td>{esc(a)}</td><td>{esc(b)}</td><td>{esc(c)}</td></tr>" for a, b, c in rows)
    return f'<table class="environment"><tr><th>what</th><th>the host</th><th>the image</th></tr>{cells}</table>'


def _tree(paths: Iterable[str]) -> str:
    """Changed paths as a nested list (directories first level by level), at most TREE_MAX_PATHS of them."""
    root: dict[str, Any] = {}
    for p in list(paths)[:TREE_MAX_PATHS]:
        node = root
        for part in [x for x in str(p).split("/") if x]:
            node = node.setdefault(part, {})

    def walk(node: Mapping[str, Any]) -> str:
        items = []
        for name in sorted(node):
            child = node[name]
            # a chain of single directories is shown as one line (usr/lib/python3/...)
            label = name
            while len(child) == 1 and next(iter(child.values())):
                only = next(iter(child))
                label, child = f"{label}/{only}", child[only]
            items.append(f"<li>{esc(label)}{'/' if child else ''}{walk(child) if child else ''}</li>")
        return f'<ul class="tree">{"".join(items)}</ul>'

    return walk(root)


def _rebuild(details: Mapping[str, Any]) -> str:
    paths = details.get("paths")
    if not isinstance(paths, list) or not paths:
        return ""
    total = details.get("files", len(paths))
    note = f'<p class="muted">{len(paths)} of {esc(total)} paths shown</p>' if total != len(paths) else ""
    return f'<details class="changed" open><summary>changed paths</summary>{_tree(paths)}{note}</details>'


def _finding(report: Report, f: Finding, n: int) -> str:
    meta = report.rules.get(f.rule)
    name = meta.name if meta else ""
    loc = f"{f.location.path}:{f.location.line}" + (f":{f.location.column}" if f.location.column else "")
    parts = [
        f'<article class="finding sev-{f.severity.value}" id="f{n}">',
        f'<h3><a href="{esc(report.rule_doc(f.rule))}">{esc(f.rule)}</a> {esc(name)} '
        f'<span class="muted">{esc(f.severity.value)}</span></h3>',
        f'<p class="loc">{esc(loc)}</p><p class="message">{esc(f.message)}</p>',
    ]
    details = f.details or {}
    side_by_side = _differences(details)
    if not side_by_side:  # a golden file's first line says nothing; its table does
        parts.append(_excerpt_html(f))
    if f.cause:
        parts.append(f'<p class="cause"><b>cause:</b> {esc(f.cause)}</p>')
    if f.evidence:
        parts.append('<ul class="evidence">' + "".join(f"<li>{esc(e)}</li>" for e in f.evidence[:20]) + "</ul>")
    parts.append(side_by_side)
    parts.append(_environment(details))
    parts.append(_rebuild(details))
    if f.hint:
        # the text formats list the differing values after the fix; here the table shows them
        hint = f.hint.splitlines()[0] if side_by_side else f.hint
        parts.append(f'<div class="hint"><b>fix:</b> {esc(hint)}</div>')
    parts.append("</article>")
    return "".join(parts)


def _stages(report: Report) -> str:
    if not report.stages:
        return ""
    rows = "".join(
        f'<tr class="stage"><td>{esc(s.name)}</td><td class="s-{esc(s.status)}">{esc(s.status)}</td>'
        f'<td class="num">{"-" if s.status == "skipped" else f"{s.seconds:.1f} s"}</td>'
        f'<td class="num">{s.findings}</td><td>{esc(s.detail)}</td></tr>'
        for s in report.stages
    )
    chart = bar_chart(
        [(s.name, round(s.seconds, 1)) for s in report.stages if s.status != "skipped"], unit=" s", label="seconds"
    )
    return (
        '<section id="stages"><h2>Stages</h2><table><tr><th>stage</th><th>result</th><th class="num">time</th>'
        f'<th class="num">findings</th><th>detail</th></tr>{rows}</table>{chart}</section>'
    )


def _by_cause(findings: Sequence[Finding]) -> str:
    """A rebuild's differences by cause and by instruction (from the findings' details)."""
    groups = [f for f in findings if f.details and isinstance(f.details.get("paths"), list)]
    if not groups:
        return ""
    by_cause: Counter[str] = Counter()
    by_step: Counter[str] = Counter()
    for f in groups:
        details = f.details or {}
        n = int(details.get("files", 0) or 0)
        by_cause[str(details.get("cause", "?"))] += n
        by_step[f"line {f.location.line}: {details.get('instruction') or '?'}"] += n
    return (
        '<section id="rebuild"><h2>Differences between the two builds</h2><h3>by cause</h3>'
        + bar_chart(by_cause.most_common(), label="files by cause")
        + "<h3>by Dockerfile instruction</h3>"
        + bar_chart(by_step.most_common(), label="files by instruction")
        + "</section>"
    )


def render(report: Report, *, color: bool = False) -> str:
    counts = report.counts()
    active = report.active
    summary = ", ".join(
        f"{counts[s]} {s.value}{'s' if counts[s] != 1 and s.value != 'info' else ''}" for s in counts if counts[s]
    )
    summary = summary or "no findings"
    head = (
        f'<header><h1>reprocheck <span class="verdict v-{esc(report.verdict)}" id="verdict">{esc(report.verdict)}'
        f"</span></h1><p>{esc(summary)} in {len(report.files)} file{'s' if len(report.files) != 1 else ''}; "
        f"failure threshold {esc(report.threshold.value)}; reprocheck {esc(report.tool_version)}</p></header>"
    )
    body = [head, _stages(report), _by_cause(active)]
    if active:
        body.append(f'<section id="findings"><h2>Findings ({len(active)})</h2>')
        n = 0
        for path, group in groupby(active, key=lambda f: f.location.path):
            body.append(f'<h2 class="file">{esc(path)}</h2>')
            for f in group:
                n += 1
                body.append(_finding(report, f, n))
        body.append("</section>")
        stats = "".join(
            f'<tr><td><a href="{esc(report.rule_doc(rule))}">{esc(rule)}</a></td><td>{esc(name)}</td>'
            f'<td class="num">{n}</td></tr>'
            for rule, name, n in statistics.counts(report)
        )
        body.append(f'<section id="statistics"><h2>By rule</h2><table>{stats}</table></section>')
    suppressed = len(report.findings) - len(active)
    if report.notes or suppressed:
        notes = "".join(f"<li>{esc(note)}</li>" for note in report.notes)
        if suppressed:
            notes += f"<li>{suppressed} finding{'s' if suppressed != 1 else ''} suppressed (pragmas, baseline)</li>"
        body.append(f'<section id="notes"><h2>Notes</h2><ul>{notes}</ul></section>')
    return page(f"reprocheck: {report.verdict}", "\n".join(b for b in body if b))


__all__ = ["render"]
