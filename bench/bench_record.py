"""Record benchmark (issue 11): `python bench/bench_record.py` (no Docker needed).

`reprocheck record` runs the prediction twice and probes the environment that runs it (interpreter, every
installed distribution, platform, timezone, locale, environment). Goal: record's own cost, that is its time
minus two runs of the prediction, stays under 2 s. Reported as wall time and as CPU time (user+sys of the
child processes), which a loaded machine disturbs less.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.engine import stage  # noqa: E402

GOAL_SECONDS = 2.0


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fixture", default="timezone")
    args = parser.parse_args()
    project = stage(args.fixture, Path(tempfile.mkdtemp()))
    command = ["python3", "predict.py"]
    record = [sys.executable, "-m", "reprocheck", "record"]
    walls, cpus, pwall, pcpu = [], [], [], []
    for _ in range(args.runs):
        w, c = timed(record, project)
        walls.append(w)
        cpus.append(c)
        w, c = timed(command, project)
        pwall.append(w)
        pcpu.append(c)
    over_wall = statistics.median(walls) - 2 * statistics.median(pwall)
    over_cpu = statistics.median(cpus) - 2 * statistics.median(pcpu)
    result = {
        "fixture": args.fixture,
        "record_wall_s": round(statistics.median(walls), 3),
        "record_cpu_s": round(statistics.median(cpus), 3),
        "prediction_wall_s": round(statistics.median(pwall), 3),
        "overhead_wall_s": round(over_wall, 3),
        "overhead_cpu_s": round(over_cpu, 3),
        "goal_s": GOAL_SECONDS,
        "ok": over_wall < GOAL_SECONDS,
    }
    print(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
