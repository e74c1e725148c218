"""The HTML audit page against the JSON report of the same audit: what drawing the page costs over writing the
data. ``python bench/bench_html.py [CORPUS]`` (default ../shared/corpus) lints once, then renders both N times.
The issue's goal: the page of the whole corpus in under 2 s and under 5 MB."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from reprocheck.audit import default_workers, find_projects, lint_all
from reprocheck.report.audit_html import render as render_html
from reprocheck.report.audit_table import render as render_table


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1].parent / "shared" / "corpus")
    rows = list(lint_all(find_projects([str(root)]), default_workers()))
    html_times, json_times = [], []
    page = ""
    for _ in range(7):
        t0 = time.perf_counter()
        page = render_html(rows, 1.0, 2)
        html_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        render_table(rows, "json", 1.0, 2)
        json_times.append(time.perf_counter() - t0)
    h, j = statistics.median(html_times), statistics.median(json_times)
    size = len(page) / 1e6
    print(f"{len(rows)} projects: html {h * 1000:.1f} ms ({size:.2f} MB), json {j * 1000:.1f} ms, ratio {h / j:.2f}")


if __name__ == "__main__":
    main()
