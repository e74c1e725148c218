"""Lint benchmarks (issue 2): run with `python bench/bench_lint.py` (add `--runs N` for the cold-start loop).

(a) every Dockerfile of ../shared/corpus linted in one reprocheck process, against hadolint on the same files
    (wall time and CPU time of the child processes);
(b) cold start of `reprocheck lint` on one Dockerfile, against `python -c pass` and hadolint on that file.

Bytecode is compiled first, as a pip install does: a cold start is a new process, not a first import ever.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(ROOT))

from reprocheck.lint.discover import DOCKERFILE_NAME  # noqa: E402

ONE = "fixtures/good/pinned-sklearn-api/Dockerfile"


def corpus_dockerfiles() -> list[str]:
    out: list[str] = []
    for dirpath, _dirs, files in os.walk(CORPUS):
        out.extend(os.path.join(dirpath, f) for f in files if DOCKERFILE_NAME.search(f))
    return sorted(out)


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env(), check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def reprocheck_cmd() -> list[str]:
    exe = shutil.which("reprocheck")
    return [exe] if exe else [sys.executable, "-m", "reprocheck"]


def bench_corpus() -> dict[str, object]:
    files = corpus_dockerfiles()
    lint_wall, lint_cpu = timed([*reprocheck_cmd(), "lint", "--isolated", "--format", "json", *files])
    result: dict[str, object] = {
        "files": len(files),
        "reprocheck_wall_s": round(lint_wall, 3),
        "reprocheck_cpu_s": round(lint_cpu, 3),
    }
    hadolint = shutil.which("hadolint")
    if hadolint:
        h_wall, h_cpu = timed([hadolint, "--no-fail", "--format", "json", *files])
        result |= {
            "hadolint_wall_s": round(h_wall, 3),
            "hadolint_cpu_s": round(h_cpu, 3),
            "speedup_wall": round(h_wall / lint_wall, 1),
            "speedup_cpu": round(h_cpu / lint_cpu, 1),
        }
    return result


def bench_cold_start(runs: int) -> dict[str, object]:
    def sample(cmd: list[str]) -> dict[str, float]:
        times = [timed(cmd, cwd=ROOT)[0] * 1000 for _ in range(runs)]
        return {"median_ms": round(statistics.median(times), 1), "min_ms": round(min(times), 1)}

    out: dict[str, object] = {
        "runs": runs,
        "python_pass": sample([sys.executable, "-c", "pass"]),
        "reprocheck_lint_one": sample([*reprocheck_cmd(), "lint", "--isolated", ONE]),
    }
    hadolint = shutil.which("hadolint")
    if hadolint:
        out["hadolint_one"] = sample([hadolint, "--no-fail", ONE])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    compileall.compile_dir(str(ROOT / "reprocheck"), quiet=1)
    results = {"cold_start": bench_cold_start(args.runs)}
    if CORPUS.is_dir():
        results["corpus"] = bench_corpus()
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
