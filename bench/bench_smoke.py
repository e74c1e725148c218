"""Smoke benchmarks (issue 4): `python bench/bench_smoke.py` on a machine with a Docker engine and the base image.

(a) overhead: `reprocheck smoke --no-reuse` (build through the SDK with the engine's warm layer cache, sandboxed
    run, compare) against a bare `docker build` + `docker run` of the same clean fixture, same warm cache.
    Goal: a ratio of at most 1.10.
(b) reuse: a second `reprocheck smoke` with nothing changed reuses the image (no build). Goal: under 2 s plus
    the prediction's own time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.engine import stage  # noqa: E402

DOCKER = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"


def timed(cmd: list[str], cwd: Path) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    project = stage("iris-clean", work)
    reprocheck = [sys.executable, "-m", "reprocheck"]
    bare_tag = "reprocheck-bench/iris:bare"
    rows = project / "data" / "rows.json"
    bare_run = [DOCKER, "run", "--rm", "--network", "none", "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL",
                "--security-opt", "no-new-privileges", "--memory", "512m", "--user", "65534:65534",
                "-v", f"{rows}:/app/data/rows.json:ro", bare_tag, "python", "predict.py", "data/rows.json"]  # fmt: skip
    # warm the layer cache for both
    subprocess.run([DOCKER, "build", "-q", "-t", bare_tag, "."], cwd=project, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*reprocheck, "smoke", "--progress", "quiet"], cwd=project, check=True, stdout=subprocess.DEVNULL)
    bare, ours, reuse, predict = [], [], [], []
    for _ in range(args.runs):
        build = timed([DOCKER, "build", "-q", "-t", bare_tag, "."], project)
        run = timed(bare_run, project)
        bare.append(build + run)
        predict.append(run)
        ours.append(timed([*reprocheck, "smoke", "--no-reuse", "--progress", "quiet"], project))
        reuse.append(timed([*reprocheck, "smoke", "--progress", "quiet"], project))
    subprocess.run([DOCKER, "rmi", "-f", bare_tag], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([*reprocheck, "clean"], check=False, stdout=subprocess.DEVNULL, env=os.environ)
    med = statistics.median
    print(
        json.dumps(
            {
                "runs": args.runs,
                "bare_build_plus_run_s": round(med(bare), 3),
                "reprocheck_smoke_no_reuse_s": round(med(ours), 3),
                "overhead_ratio": round(med(ours) / med(bare), 3),
                "bare_run_alone_s": round(med(predict), 3),
                "reprocheck_smoke_reused_s": round(med(reuse), 3),
                "reused_minus_prediction_s": round(med(reuse) - med(predict), 3),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
