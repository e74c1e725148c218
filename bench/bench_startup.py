"""Start-up and overhead benchmarks (issue 15): `python bench/bench_startup.py [--runs N] [--skip-engine]`.

Printed side by side, medians of N runs (default 5), wall and CPU (user + system of the child processes):

(a) the pre-commit case: `reprocheck lint` of one Dockerfile against `python -c "import typer"` (the floor of
    any Typer CLI), `python -c pass` and hadolint on the same file; with `--instructions`, also callgrind
    instruction counts, which a loaded machine does not disturb;
(b) a big tree: every Dockerfile of the shared corpus (REPROCHECK_CORPUS, else ../shared/corpus) linted
    sequentially (REPROCHECK_WORKERS=1) and with the automatic process pool, against hadolint;
(c) the Docker side on a reused image (fixtures/smoke/iris-clean staged as tests/e2e do, with one extra
    file so that its inputs digest, hence its image, is this run's own): `reprocheck smoke` against a bare
    `docker run` of the same prediction with the same sandbox, and `reprocheck check` against smoke; then
    where smoke's and check's overhead goes (SDK import, inputs digest cold and warm, API round trips: all,
    and those on the main thread's path, verify's probe and the container removals running beside it).
    Only this run's project is cleaned afterwards (`reprocheck clean` in the staged project).

Bytecode is compiled first, as a pip install does: a cold start is a new process, not a first import ever.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ONE = "fixtures/good/pinned-sklearn-api/Dockerfile"
DOCKER = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "REPROCHECK_WORKERS")}
    return env | extra


def timed(cmd: Sequence[str], cwd: Path = ROOT, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env or _env(), check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def sample(cmd: Sequence[str], runs: int, cwd: Path = ROOT, env: dict[str, str] | None = None) -> dict[str, float]:
    walls, cpus = zip(*(timed(cmd, cwd, env) for _ in range(runs)), strict=True)
    return {"wall_ms": round(statistics.median(walls) * 1000, 1), "cpu_ms": round(statistics.median(cpus) * 1000, 1)}


def instructions(cmd: Sequence[str], cwd: Path = ROOT) -> int | None:
    """Instructions executed (callgrind's Ir), or None without valgrind."""
    if shutil.which("valgrind") is None:
        return None
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    m = re.search(r"Collected : (\d+)", proc.stderr)
    return int(m.group(1)) if m else None


def reprocheck_cmd() -> list[str]:
    exe = shutil.which("reprocheck")
    return [exe] if exe else [sys.executable, "-m", "reprocheck"]


def ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else float("nan")


# ---- (a) one file


def bench_one_file(runs: int, with_instructions: bool) -> dict[str, Any]:
    commands = {
        "reprocheck_lint_one": [*reprocheck_cmd(), "lint", "--isolated", ONE],
        "python_import_typer": [sys.executable, "-c", "import typer"],
        "python_pass": [sys.executable, "-c", "pass"],
    }
    hadolint = shutil.which("hadolint")
    if hadolint:
        commands["hadolint_one"] = [hadolint, "--no-fail", ONE]
    out: dict[str, Any] = {name: sample(cmd, runs) for name, cmd in commands.items()}
    lint, typer_ = out["reprocheck_lint_one"], out["python_import_typer"]
    out["lint_vs_import_typer_cpu"] = ratio(lint["cpu_ms"], typer_["cpu_ms"])
    if with_instructions:
        counts = {name: instructions(cmd) for name, cmd in commands.items()}
        out["instructions_M"] = {k: round(v / 1e6) for k, v in counts.items() if v}
        if counts.get("reprocheck_lint_one") and counts.get("python_import_typer"):
            out["lint_vs_import_typer_instructions"] = ratio(
                counts["reprocheck_lint_one"] or 0, counts["python_import_typer"] or 0
            )
    return out


# ---- (b) a big tree


def corpus_dir() -> Path | None:
    for candidate in (os.environ.get("REPROCHECK_CORPUS"), ROOT.parent / "shared" / "corpus"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    for parent in ROOT.parents:  # a git worktree below the checkout that holds shared/
        if (parent / "shared" / "corpus").is_dir():
            return parent / "shared" / "corpus"
    return None


def bench_corpus(runs: int) -> dict[str, Any] | None:
    corpus = corpus_dir()
    if corpus is None:
        return None
    from reprocheck.lint.discover import DOCKERFILE_NAME

    files = sorted(
        os.path.join(d, f) for d, _dirs, names in os.walk(corpus) for f in names if DOCKERFILE_NAME.search(f)
    )
    lint = [*reprocheck_cmd(), "lint", "--isolated", "--format", "json", str(corpus)]
    out: dict[str, Any] = {
        "dockerfiles": len(files),
        "sequential": sample(lint, runs, env=_env(REPROCHECK_WORKERS="1")),
        "pool_auto": sample(lint, runs),
    }
    hadolint = shutil.which("hadolint")
    if hadolint:
        out["hadolint"] = sample([hadolint, "--no-fail", "--format", "json", *files], runs)
    seq, pool = out["sequential"], out["pool_auto"]
    out["pool_speedup_wall"] = ratio(seq["wall_ms"], pool["wall_ms"])
    if hadolint:
        had = out["hadolint"]
        out["hadolint_vs_pool_wall"] = ratio(had["wall_ms"], pool["wall_ms"])
        out["hadolint_vs_sequential_cpu"] = ratio(had["cpu_ms"], seq["cpu_ms"])
    return out


# ---- (c) the Docker side


def _stage(work: Path) -> Path:
    from tests.support.engine import stage

    project = stage("iris-clean", work)
    # the wheels are hard links into the shared wheelhouse: another session staging a project links them too,
    # which moves their ctime and makes every run here hash 67 MB again (0.15-0.3 s). A user's files hold still
    for wheel in (project / "wheels").glob("*.whl"):
        copy = wheel.with_name(wheel.name + ".copy")
        shutil.copy2(wheel, copy)
        copy.replace(wheel)
    (project / "bench-run.txt").write_text(f"bench_startup {os.getpid()} {time.time()}\n")  # this run's own image
    return project


def _smoke_overhead(project: Path, env: dict[str, str], command: str = "smoke") -> dict[str, Any]:
    """In a child process: where one reused-image smoke (or check) run spends its time."""
    code = r"""
import contextlib, io, json, re, subprocess, sys, threading, time
# what importing the docker SDK costs, in a process of its own: the one client the pipeline uses on every engine
sdk = subprocess.run([sys.executable, "-X", "importtime", "-c", "import docker"], capture_output=True, text=True)
sdk = int(sdk.stderr.strip().splitlines()[-1].split("|")[1]) / 1e6
from pathlib import Path
from reprocheck.backend.inputs import inputs_digest
from reprocheck.model.build import ImageSource
p = Path.cwd(); src = ImageSource(p.name, p, p / "Dockerfile")
t = time.perf_counter(); inputs_digest(src); warm = time.perf_counter() - t
calls = []
VERSION, ID = r"^/v1\.\d+", r"/[0-9a-f]{12,64}(?=/|$)|/sha256:[0-9a-f]{64}|/reprocheck/[^/]+"
import requests
from urllib.parse import urlparse
send = requests.Session.send
def timed_send(self, req, **kw):  # every engine request of the docker SDK passes here
    started = time.perf_counter()
    try:
        return send(self, req, **kw)
    finally:
        path = re.sub(VERSION, "", urlparse(req.url).path)
        calls.append([req.method + " " + re.sub(ID, "/{id}", path), started, threading.current_thread().name,
                      time.perf_counter() - started])
requests.Session.send = timed_send
from reprocheck.cli.app import main
t = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    main([sys.argv[1], "--progress", "quiet"])
total = time.perf_counter() - t
print(json.dumps({"sdk_import_ms": sdk * 1000, "digest_warm_ms": warm * 1000,
                  "command_ms": total * 1000, "api_calls": [[c, d * 1000, n] for c, _, n, d in calls],
                  "sdk_imported": "docker" in sys.modules}))
"""
    proc = subprocess.run([sys.executable, "-c", code, command], cwd=project, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        return {"error": proc.stderr[-500:]}
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    calls = data.pop("api_calls")
    # the main thread's path: verify's probe and the background removals run beside it
    main = [(c, d) for c, d, n in calls if n == "MainThread"]
    wait = sum(d for c, d in main if c.endswith("/wait"))
    data["api_round_trips"] = len(calls)
    data["api_round_trips_main_thread"] = len(main)
    data["api_ms_besides_wait_main_thread"] = sum(d for _, d in main) - wait
    data["api_calls"] = {c: sum(1 for k, _, _ in calls if k == c) for c in sorted({c for c, _, _ in calls})}
    data["api_calls_beside"] = sorted({f"{c} [{n}]" for c, _, n in calls if n != "MainThread"})
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in data.items()}


def bench_engine(runs: int) -> dict[str, Any] | None:
    from tests.support.engine import BASE_IMAGE

    if subprocess.run([DOCKER, "image", "inspect", BASE_IMAGE], capture_output=True, check=False).returncode != 0:
        return None
    work = Path(tempfile.mkdtemp(prefix="reprocheck-bench-"))
    project = _stage(work)
    cache = work / "xdg-cache"  # the file-digest cache starts cold here and is warm after the first run
    env = _env(XDG_CACHE_HOME=str(cache))
    try:
        subprocess.run([*reprocheck_cmd(), "smoke", "--progress", "quiet"], cwd=project, env=env, check=True)
        image = json.loads(
            subprocess.run(
                [*reprocheck_cmd(), "smoke", "--format", "json", "--progress", "quiet"],
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        tag = next((m.group(1) for n in image.get("notes", []) if (m := re.search(r"reused image (\S+)", n))), None)
        if tag is None:
            return {"error": "the second smoke run did not reuse the image", "notes": image.get("notes")}
        rows = project / "data" / "rows.json"
        bare = [DOCKER, "run", "--rm", "--network", "none", "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL",
                "--security-opt", "no-new-privileges", "--memory", "512m", "--user", "65534:65534",
                "-v", f"{rows}:/app/data/rows.json:ro", tag, "python", "predict.py", "data/rows.json"]  # fmt: skip
        out: dict[str, Any] = {
            "bare_docker_run": sample(bare, runs, project, env),
            "smoke_reused": sample([*reprocheck_cmd(), "smoke", "--progress", "quiet"], runs, project, env),
            "check_reused": sample([*reprocheck_cmd(), "check", "--progress", "quiet"], runs, project, env),
        }
        bare_s, smoke_s, check_s = (out[k] for k in ("bare_docker_run", "smoke_reused", "check_reused"))
        out["smoke_minus_bare_ms"] = round(smoke_s["wall_ms"] - bare_s["wall_ms"], 1)
        out["check_minus_smoke_ms"] = round(check_s["wall_ms"] - smoke_s["wall_ms"], 1)
        cold = work / "xdg-cold"
        out["digest_cold_ms"] = _digest_ms(project, cold)
        out["smoke_breakdown"] = _smoke_overhead(project, env)
        out["check_breakdown"] = _smoke_overhead(project, env, "check")
        return out
    finally:
        subprocess.run([*reprocheck_cmd(), "clean"], cwd=project, env=env, check=False, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def _digest_ms(project: Path, cache: Path) -> float:
    code = (
        "import time; from pathlib import Path\n"
        "from reprocheck.backend.inputs import inputs_digest\n"
        "from reprocheck.model.build import ImageSource\n"
        "p = Path.cwd(); t = time.perf_counter(); inputs_digest(ImageSource(p.name, p, p / 'Dockerfile'))\n"
        "print((time.perf_counter() - t) * 1000)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, env=_env(XDG_CACHE_HOME=str(cache))
    )
    return round(float(proc.stdout.strip() or "nan"), 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--instructions", action="store_true", help="also count instructions with callgrind")
    parser.add_argument("--skip-corpus", action="store_true")
    parser.add_argument("--skip-engine", action="store_true")
    args = parser.parse_args()
    compileall.compile_dir(str(ROOT / "reprocheck"), quiet=1)
    results: dict[str, Any] = {"load_average": [round(x, 1) for x in os.getloadavg()]}
    results["one_file"] = bench_one_file(args.runs, args.instructions)
    if not args.skip_corpus:
        results["corpus"] = bench_corpus(args.runs)
    if not args.skip_engine:
        results["engine"] = bench_engine(args.runs)
    results["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
