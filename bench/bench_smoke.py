"""Smoke benchmarks (issues 4 and 15): `python bench/bench_smoke.py` on a machine with a Docker engine and the base
image. Medians of --runs (at least 5) runs and the fastest run of each, wall and CPU (user+sys of the process
and its children: on a loaded machine CPU is the steadier figure), printed as JSON.

(a) reused: `reprocheck smoke` on an unchanged project (the image is reused, nothing is built) against a bare
    `docker run` of the same prediction in the same image, with the same mounts and sandbox flags.
    Goal (issue 15): at most 0.3 s more than the bare run.
(b) check: `reprocheck check` (lint + smoke + verify, whose probe runs beside the prediction) against that same
    `reprocheck smoke`. Goal: about the same.
(c) with --builds: `reprocheck smoke --no-reuse` (build through the SDK with the engine's warm layer cache,
    sandboxed run, compare) against a bare `docker build` + `docker run`. Goal (issue 4): a ratio of at most 1.10.

Everything made here is labelled or scoped to the staged project and removed at the end (`reprocheck clean` of
that project, `docker rmi` of the bare tag); the digest cache and run journals go to a temporary XDG_CACHE_HOME.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.engine import stage  # noqa: E402

DOCKER = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"
BENCH_LABEL = "io.reprocheck.bench"


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the children) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def reused_tag(project: Path, reprocheck: list[str], env: dict[str, str]) -> str:
    """The tag `reprocheck smoke` reused, from its JSON notes."""
    out = subprocess.run(
        [*reprocheck, "smoke", "--progress", "quiet", "--format", "json"],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for note in json.loads(out)["notes"]:
        if note.startswith("reused image "):
            return str(note.split()[2])
    raise SystemExit("the second smoke run did not reuse its image")


def bare_run(project: Path, image: str, run_id: str) -> list[str]:
    """`docker run` of the prediction with the sandbox reprocheck gives it (iris-clean's spec: 512m, no network)."""
    rows = project / "data" / "rows.json"
    return [DOCKER, "run", "--rm", "--label", f"{BENCH_LABEL}={run_id}", "--network", "none", "--read-only",
            "--tmpfs", "/tmp:rw,nosuid,nodev,size=256m,mode=1777", "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges", "--ipc", "private", "--memory", "512m", "--memory-swap", "512m",
            "--cpus", "1", "--pids-limit", "256", "--log-driver", "none", "--user", "65534",
            "--entrypoint", "python", "-v", f"{rows}:/app/data/rows.json:ro", image,
            "predict.py", "data/rows.json"]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--builds", action="store_true", help="also (c): smoke --no-reuse against build + run")
    args = parser.parse_args()
    runs = max(args.runs, 5)
    work = Path(tempfile.mkdtemp(prefix="reprocheck-bench-"))
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache")}
    project = stage("iris-clean", work)
    for wheel in (project / "wheels").glob("*.whl"):  # own copies: links into the shared wheelhouse move ctime
        copy = wheel.with_name(wheel.name + ".copy")  # whenever another session stages, and miss the digest cache
        shutil.copy2(wheel, copy)
        copy.replace(wheel)
    reprocheck = [sys.executable, "-m", "reprocheck"]
    run_id = uuid.uuid4().hex[:12]
    bare_tag = f"reprocheck-bench/iris:{run_id}"
    med = statistics.median
    results: dict[str, object] = {"runs": runs}
    try:
        subprocess.run([*reprocheck, "smoke", "--progress", "quiet"], cwd=project, env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        image = reused_tag(project, reprocheck, env)
        bare = bare_run(project, image, run_id)
        rows: dict[str, list[tuple[float, float]]] = {"bare": [], "smoke": [], "check": []}
        for _ in range(runs):  # interleaved: a load that comes and goes hits every command alike
            rows["bare"].append(timed(bare, project, env))
            rows["smoke"].append(timed([*reprocheck, "smoke", "--progress", "quiet"], project, env))
            rows["check"].append(timed([*reprocheck, "check", "--progress", "quiet"], project, env))
        wall = {k: med(w for w, _ in v) for k, v in rows.items()}
        best = {k: min(w for w, _ in v) for k, v in rows.items()}  # the least disturbed run: nearest a quiet machine
        cpu = {k: med(c for _, c in v) for k, v in rows.items()}
        results["reused"] = {
            "bare_docker_run_s": round(wall["bare"], 3),
            "smoke_s": round(wall["smoke"], 3),
            "smoke_minus_bare_s": round(wall["smoke"] - wall["bare"], 3),
            "smoke_over_bare_ratio": round(wall["smoke"] / wall["bare"], 3),
            "best_smoke_minus_best_bare_s": round(best["smoke"] - best["bare"], 3),
            "bare_cpu_s": round(cpu["bare"], 3),
            "smoke_cpu_s": round(cpu["smoke"], 3),
        }
        results["check"] = {
            "check_s": round(wall["check"], 3),
            "check_minus_smoke_s": round(wall["check"] - wall["smoke"], 3),
            "check_over_smoke_ratio": round(wall["check"] / wall["smoke"], 3),
            "best_check_minus_best_smoke_s": round(best["check"] - best["smoke"], 3),
            "check_cpu_s": round(cpu["check"], 3),
        }
        if args.builds:
            subprocess.run([DOCKER, "build", "-q", "--label", f"{BENCH_LABEL}={run_id}", "-t", bare_tag, "."],
                           cwd=project, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
            built, ours = [], []
            for _ in range(runs):
                b, _cpu = timed([DOCKER, "build", "-q", "--label", f"{BENCH_LABEL}={run_id}", "-t", bare_tag, "."],
                                project, env)  # fmt: skip
                r, _cpu = timed(bare_run(project, bare_tag, run_id), project, env)
                built.append(b + r)
                ours.append(timed([*reprocheck, "smoke", "--no-reuse", "--progress", "quiet"], project, env)[0])
            results["builds"] = {
                "bare_build_plus_run_s": round(med(built), 3),
                "smoke_no_reuse_s": round(med(ours), 3),
                "overhead_ratio": round(med(ours) / med(built), 3),
            }
    finally:
        subprocess.run([DOCKER, "rmi", "-f", bare_tag], check=False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)  # fmt: skip
        subprocess.run([*reprocheck, "clean", str(project)], env=env, check=False, stdout=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
