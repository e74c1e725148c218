"""Audit benchmark (issue 5): `python bench/bench_audit.py [--runs N]`.

`reprocheck audit` (lint only) over every project of ../shared/corpus with 1 and 2 worker processes (goal: near
2x on a 2-core machine), against hadolint run file by file over the same Dockerfiles (one process per file, as
an audit script would; sequential and two at a time).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


def wall(cmd: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def hadolint_each(hadolint: str, files: list[str], parallel: int) -> float:
    def one(path: str) -> None:
        subprocess.run([hadolint, "--no-fail", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        list(pool.map(one, files))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--hadolint-runs", type=int, default=1)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit("../shared/corpus is not present")
    exe = shutil.which("reprocheck") or sys.exit("reprocheck is not installed")
    env_note = {"cpus": len(os.sched_getaffinity(0)), "python": sys.version.split()[0]}
    out: dict[str, object] = {"machine": env_note}
    listing = subprocess.run(
        [exe, "audit", "corpus", "--format", "json", "--workers", "2"],
        cwd=CORPUS.parent,
        capture_output=True,
        text=True,
    )
    projects = [p["project"] for p in json.loads(listing.stdout)["projects"]]
    out["projects"] = len(projects)
    for workers in (1, 2):
        cmd = [exe, "audit", "corpus", "--format", "json", "--workers", str(workers)]
        times = [wall(cmd, CORPUS.parent) for _ in range(args.runs)]
        out[f"reprocheck_audit_{workers}_worker_s"] = {
            "median": round(statistics.median(times), 3),
            "min": round(min(times), 3),
            "runs": [round(t, 3) for t in times],
        }
    one = out["reprocheck_audit_1_worker_s"]["median"]  # type: ignore[index]
    two = out["reprocheck_audit_2_worker_s"]["median"]  # type: ignore[index]
    out["speedup_2_vs_1"] = round(one / two, 2)
    hadolint = shutil.which("hadolint")
    if hadolint:
        for parallel in (1, 2):
            times = [hadolint_each(hadolint, [str(CORPUS.parent / p) for p in projects], parallel)]
            times += [
                hadolint_each(hadolint, [str(CORPUS.parent / p) for p in projects], parallel)
                for _ in range(args.hadolint_runs - 1)
            ]
            out[f"hadolint_file_by_file_{parallel}_at_a_time_s"] = round(statistics.median(times), 3)
        out["hadolint_sequential_vs_reprocheck_2_workers"] = round(
            out["hadolint_file_by_file_1_at_a_time_s"] / two,
            1,
        )
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
