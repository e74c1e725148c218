"""``audit --format html``: the platform lead's page. A sortable table of the projects (sorted by findings
without JavaScript; our one small script, allowed by its hash, re-sorts on a click), the pinned share of each
project as a chart, findings by rule family, and with ``--history`` the trend over the recorded runs."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence

from reprocheck.model.audit import Row

from .html_kit import bar_chart, esc, line_chart, page

FAMILIES = {
    "RC1": "base image",
    "RC2": "OS packages",
    "RC3": "Python installs",
    "RC4": "other installers",
    "RC5": "downloads and sources",
    "RC6": "dependency and lock files",
    "RC7": "Dockerfile against lock",
    "RC8": "runtime (build, smoke, verify, rebuild)",
    "RC9": "meta",
    "ML": "machine learning",
}
CHART_MAX = 60  # projects drawn one bar each in the pinned-share chart; more: a histogram and the least pinned

# our own script: sort the table by the clicked column (numbers by their data-v value)
SORT_SCRIPT = (
    "document.querySelectorAll('table.sortable th').forEach(function(th,i){th.style.cursor='pointer';"
    "th.addEventListener('click',function(){var t=th.closest('table'),b=t.tBodies[0],"
    "r=Array.prototype.slice.call(b.rows),d=th.dataset.d==='a'?'d':'a';th.dataset.d=d;"
    "r.sort(function(x,y){var p=x.cells[i].dataset.v,q=y.cells[i].dataset.v,c=(p!==undefined&&q!==undefined)?"
    "(parseFloat(p)-parseFloat(q)):x.cells[i].textContent.localeCompare(y.cells[i].textContent);"
    "return d==='a'?c:-c;});r.forEach(function(e){b.appendChild(e);});});});"
)


def family(rule: str) -> str:
    return FAMILIES.get(rule[:3]) or FAMILIES.get(rule[:2]) or rule[:3]


def _pinned(rows: Sequence[Row]) -> str:
    """One bar per project (least pinned first); over CHART_MAX projects, how many fall in each tenth of the
    scale, then the CHART_MAX // 2 least pinned."""
    prefix = _prefix(rows)
    judged = sorted((r for r in rows if r.pinned_share is not None), key=lambda r: (r.pinned_share or 0.0, r.project))
    if not judged:
        return "<p>no installs to judge</p>"
    if len(judged) <= CHART_MAX:
        return bar_chart(
            [(_short(r.project, prefix), r.pinned_share or 0.0) for r in judged],
            unit="%",
            maximum=1.0,
            label="pinned share",
        )
    bins = [0] * 10
    for r in judged:
        bins[min(9, int((r.pinned_share or 0.0) * 10))] += 1
    histogram = bar_chart(
        [(f"{10 * k}-{10 * k + 10}% pinned", float(n)) for k, n in enumerate(bins)], label="projects by pinned share"
    )
    least = judged[: CHART_MAX // 2]
    worst = bar_chart(
        [(_short(r.project, prefix), r.pinned_share or 0.0) for r in least], unit="%", maximum=1.0, label="least"
    )
    return (
        f"<h3>projects by pinned share ({len(judged)} with installs)</h3>{histogram}"
        f"<h3>the {len(least)} least pinned</h3>{worst}"
    )


def _share(row: Row) -> str:
    share = row.pinned_share
    return "-" if share is None else f"{share:.0%}"


def _prefix(rows: Sequence[Row]) -> str:
    """The folder every project shares (shown once above the table, not on every row)."""
    paths = [r.project for r in rows]
    try:
        common = os.path.commonpath(paths) if len(paths) > 1 else os.path.dirname(paths[0]) if paths else ""
    except ValueError:  # absolute and relative paths mixed
        return ""
    return common.rstrip("/") + "/" if common and common != "/" else ""


def _short(project: str, prefix: str) -> str:
    return project[len(prefix) :] if prefix and project.startswith(prefix) else project


def _table(rows: Sequence[Row]) -> str:
    prefix = _prefix(rows)
    stages = sorted({s for r in rows for s in r.stages})
    head = "".join(f"<th>{esc(s)}</th>" for s in stages)
    order = sorted(rows, key=lambda r: (-(r.errors + r.warnings + r.info), r.project))
    body = []
    for r in order:
        share = r.pinned_share
        cells = "".join(f"<td>{esc(r.stages.get(s, '-'))}</td>" for s in stages)
        error = f'<div class="muted">{esc(r.error)}</div>' if r.error else ""
        body.append(
            f'<tr class="project"><td class="path">{esc(_short(r.project, prefix))}{error}</td>'
            f'<td class="num" data-v="{r.errors + r.warnings + r.info}">{r.errors + r.warnings + r.info}</td>'
            f'<td class="num" data-v="{r.errors}">{r.errors}</td><td class="num" data-v="{r.warnings}">{r.warnings}'
            f'</td><td class="num" data-v="{-1 if share is None else round(share, 4)}">{_share(r)} '
            f'<span class="muted">({r.pinned}/{r.installs})</span></td>{cells}'
            f'<td class="v-{esc(r.verdict)} verdict-cell" data-v="{0 if r.verdict == "pass" else 1}">'
            f"{esc(r.verdict)}</td></tr>"
        )
    table = (
        '<table class="sortable" id="projects"><thead><tr><th>project</th><th class="num">findings'
        '</th><th class="num">errors</th><th class="num">warnings</th><th class="num">pinned</th>'
        f"{head}<th>verdict</th></tr></thead><tbody>{''.join(body)}</tbody></table>"
    )
    where = f'<p class="muted">under {esc(prefix)}</p>' if prefix else ""
    return where + table


def render(rows: Sequence[Row], seconds: float, workers: int, history: Sequence[object] = ()) -> str:
    """The page; ``history`` holds ``audit_history.Run`` records (oldest first), this run included."""
    installs = sum(r.installs for r in rows)
    pinned = sum(r.pinned for r in rows)
    failing = sum(r.verdict != "pass" for r in rows)
    verdict = "pass" if not failing else "fail"
    share = f"{pinned / installs:.0%}" if installs else "-"
    head = (
        f'<header><h1>reprocheck audit <span class="verdict v-{verdict}" id="verdict">{failing} of {len(rows)} '
        f"not passing</span></h1><p>{pinned} of {installs} installs pinned ({share}); {seconds:.1f} s with "
        f"{workers} worker{'s' if workers != 1 else ''}</p></header>"
    )
    pinned_chart = _pinned(rows)
    families: Counter[str] = Counter()
    for r in rows:
        for rule, n in r.rules.items():
            families[family(rule)] += n
    family_chart = bar_chart(families.most_common(), label="findings by rule family")
    parts = [head]
    runs = list(history)
    if runs:
        labels = [str(getattr(run, "time", "?"))[:10] for run in runs]
        trend = line_chart(
            [
                ("findings", [float(getattr(run, "findings", 0)) for run in runs]),
                ("pinned %", [100.0 * float(getattr(run, "pinned_share", 0.0)) for run in runs]),
            ],
            labels,
            label="trend",
        )
        parts.append(f'<section id="trend"><h2>Trend over {len(runs)} recorded runs</h2>{trend}</section>')
    parts += [
        f'<section id="families"><h2>Findings by rule family</h2>{family_chart or "<p>none</p>"}</section>',
        f'<section id="pinned"><h2>Pinned share per project</h2>{pinned_chart}</section>',
        f'<section id="table"><h2>Projects</h2>{_table(rows)}</section>',
    ]
    return page(f"reprocheck audit: {failing} of {len(rows)} not passing", "\n".join(parts), SORT_SCRIPT)


__all__ = ["FAMILIES", "family", "render"]
