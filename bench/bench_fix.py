"""Fix benchmark (issue 14): `python bench/bench_fix.py [--sample N]`.

Each Dockerfile of a sample of ../shared/corpus is copied alone into a temporary directory and fixed in
this process (safe + unsafe fixes, written to disk, then linted again as `fix` does). Offline: registry
digests come from a table instead of the network (the look-up is I/O, not what is measured here), and the
other look-ups (downloads, git, pip-compile, image inventories) are not made (no --from-image; downloads
and ls-remote refuse under --offline). Reported per Dockerfile: CPU time (user+sys of this process, the
stable number on a shared machine) and wall time, median and 95th percentile; target: median under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = next(
    (p / "shared" / "corpus" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared" / "corpus").is_dir()),
    ROOT.parent / "shared" / "corpus",
)
sys.path.insert(0, str(ROOT))

from reprocheck.fix import FixOptions, fix_paths  # noqa: E402
from reprocheck.fix import base_image as fix_images  # noqa: E402
from reprocheck.lint.discover import DOCKERFILE_NAME  # noqa: E402
from reprocheck.lint.run import LintOptions, lint_paths  # noqa: E402

TARGET_MS = 50.0
FAKE = "sha256:" + "0" * 64


def sample(n: int, seed: int) -> list[Path]:
    files = sorted(Path(d) / f for d, _dirs, names in os.walk(CORPUS) for f in names if DOCKERFILE_NAME.search(f))
    random.Random(seed).shuffle(files)
    return files[:n]


def _cpu() -> float:
    return time.process_time()  # user + system of this process, ns resolution (os.times ticks are 10 ms)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}", file=sys.stderr)
        return 2
    fix_images.digest_for = lambda ctx, image: FAKE  # no network in a benchmark
    files = sample(args.sample, args.seed)
    options = FixOptions(unsafe=True, offline=True)
    lint_options = LintOptions(isolated=True)
    fix_cpu: list[float] = []
    fix_wall: list[float] = []
    lint_cpu: list[float] = []
    edits = 0
    cwd = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="bench-fix-") as tmp:
        for k, src in enumerate(files):
            project = Path(tmp) / str(k)
            project.mkdir()
            shutil.copyfile(src, project / "Dockerfile")
            os.chdir(project)
            try:
                c0 = _cpu()
                lint_paths(["."], lint_options)
                lint_cpu.append(_cpu() - c0)
                c0, w0 = _cpu(), time.perf_counter()
                result = fix_paths(["."], lint_options, options)
                fix_cpu.append(_cpu() - c0)
                fix_wall.append(time.perf_counter() - w0)
                edits += result.fixed
            finally:
                os.chdir(cwd)

    def ms(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    median_cpu = round(1000 * statistics.median(fix_cpu), 1)
    report = {
        "dockerfiles": len(files),
        "fixes_written": edits,
        "fix_cpu_ms_median": median_cpu,
        "fix_cpu_ms_p95": ms(fix_cpu, 0.95),
        "fix_wall_ms_median": round(1000 * statistics.median(fix_wall), 1),
        "fix_wall_ms_p95": ms(fix_wall, 0.95),
        "lint_cpu_ms_median": round(1000 * statistics.median(lint_cpu), 1),
        "fix_over_lint_cpu": round(statistics.median(fix_cpu) / max(statistics.median(lint_cpu), 1e-9), 2),
        "target_ms": TARGET_MS,
        "meets_target": median_cpu < TARGET_MS,
    }
    print(json.dumps(report, indent=2))
    return 0 if report["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
