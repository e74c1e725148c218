"""Cost of the differential probe (issue 25): `python bench/bench_explain.py [--runs N]` on a machine with a
Docker engine and the base image. Medians of --runs (at least 5) interleaved runs, printed as JSON.

On a failing run (fixtures/smoke/missing-executable: `git` is not in the image; the image reused), the parts of
the diagnosis, timed in this process through the library:
  - prediction: the failing prediction itself in the sandbox;
  - image_probe_before: the probe in the image as it ran before issue 25 (no `--reprocheck-facts`);
  - image_probe_facts: the same probe with the facts of the resources the failure names;
  - host_probe_facts: the same facts on this machine (the recorded interpreter); smoke runs it in a thread
    while the image's probe runs, so its wall time overlaps the container's.
End to end, on one project and one image (fixtures/smoke/env-variant): `reprocheck smoke` passing (recorded
without CHURN_VARIANT) against failing (recorded with it: RC805, the diagnosis probes both sides). A passing run
never reaches the diagnosis (tests/smoke/test_explain_engine.py asserts it does not even import it).

Everything made here is removed at the end (`reprocheck clean` of each staged project); the digest cache and run
journals go to a temporary XDG_CACHE_HOME.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.engine import stage  # noqa: E402


def timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def quiet(cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(cmd, cwd=cwd, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--before",
        type=Path,
        help="a tree holding reprocheck/ as it was before issue 25 (git archive d8423d0 reprocheck | tar -x -C DIR): "
        "also times the differing smoke with it",
    )
    args = parser.parse_args()
    runs = max(args.runs, 5)
    work = Path(tempfile.mkdtemp(prefix="reprocheck-bench-explain-"))
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache")}
    os.environ["XDG_CACHE_HOME"] = env["XDG_CACHE_HOME"]
    reprocheck = [sys.executable, "-m", "reprocheck"]
    failing = stage("missing-executable", work)
    passing = stage("env-variant", work / "passing")
    differing = stage("env-variant", work / "differing")
    med = statistics.median
    results: dict[str, Any] = {"runs": runs}
    try:
        from reprocheck.backend.base import RunRequest
        from reprocheck.envprobe import load_record
        from reprocheck.runtime.engine import open_backend
        from reprocheck.smoke.differential import extract
        from reprocheck.smoke.explain import explain
        from reprocheck.smoke.facts import diagnose_run, probe_host_facts, probe_image
        from reprocheck.smoke.record import env_record_path
        from reprocheck.smoke.runner import SmokeRunner
        from reprocheck.smoke.spec import load_spec

        plain = {k: v for k, v in env.items() if k != "CHURN_VARIANT"}
        subprocess.run([*reprocheck, "record"], cwd=failing, env=plain, check=True, capture_output=True)
        subprocess.run([*reprocheck, "record"], cwd=passing, env=plain, check=True, capture_output=True)
        large = {**plain, "CHURN_VARIANT": "large"}
        subprocess.run([*reprocheck, "record"], cwd=differing, env=large, check=True, capture_output=True)
        env = plain
        for project in (failing, passing, differing):  # build once: the timed runs reuse the image
            quiet([*reprocheck, "smoke", "--progress", "quiet"], project, env)
        spec = load_spec(None, failing)
        backend = open_backend(project=failing)
        runner = SmokeRunner(backend, spec, lambda *_a, **_k: None)
        out = subprocess.run(
            [*reprocheck, "smoke", "--progress", "quiet", "--format", "json"],
            cwd=failing,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        image = next(n.split()[2] for n in json.loads(out)["notes"] if n.startswith("reused image "))
        sandbox = runner.sandbox(image, None)
        ran = backend.run(RunRequest(image, spec.command, sandbox, spec.timeout))
        why = explain(ran.exit_code, ran.stderr, ran.timed_out, ran.oom_killed)
        request = extract(why, spec.command).request()
        host_record = load_record(env_record_path(spec.golden))
        rows: dict[str, list[float]] = {
            k: []
            for k in (
                "prediction",
                "image_probe_before",
                "image_probe_facts",
                "host_probe_facts",
                "diagnose_run",
                "smoke_passing",
                "smoke_differing",
                *(("smoke_differing_before",) if args.before else ()),
            )
        }
        before_env = {**env, "PYTHONPATH": str(args.before)} if args.before else env
        if args.before:  # its bytecode compiled once, as the checkout's is (PYTHONDONTWRITEBYTECODE may be set)
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(args.before)], check=True)
        smoke = [*reprocheck, "smoke", "--progress", "quiet"]
        for _ in range(runs):  # interleaved: a load that comes and goes hits every part alike
            rows["prediction"].append(
                timed(lambda: backend.run(RunRequest(image, spec.command, sandbox, spec.timeout)))
            )
            rows["image_probe_before"].append(timed(lambda: probe_image(backend, image, sandbox, spec.command)))
            rows["image_probe_facts"].append(
                timed(lambda: probe_image(backend, image, sandbox, spec.command, (), request))
            )
            rows["host_probe_facts"].append(timed(lambda: probe_host_facts(spec, host_record, request)))
            rows["diagnose_run"].append(timed(lambda: diagnose_run(backend, spec, image, sandbox, crash=why)))
            if args.before:
                rows["smoke_differing_before"].append(timed(lambda: quiet(smoke, differing, before_env)))
            for key, project in (("smoke_passing", passing), ("smoke_differing", differing)):
                rows[key].append(timed(lambda: quiet(smoke, project, env)))  # noqa: B023
        m = {k: round(med(v), 3) for k, v in rows.items()}
        before = m["image_probe_before"]
        after = m["image_probe_facts"] + m["host_probe_facts"]
        results["request"] = request
        results["median_s"] = m
        results["diagnosis_before_s"] = before
        results["diagnosis_after_s"] = round(after, 3)
        results["diagnosis_after_over_before_ratio"] = round(after / before, 3)
        results["facts_added_s"] = round(after - before, 3)
        results["diagnose_run_over_probe_before_ratio"] = round(m["diagnose_run"] / before, 3)
        if args.before:
            results["differing_smoke_after_over_before_ratio"] = round(
                m["smoke_differing"] / m["smoke_differing_before"], 3
            )
        results["differing_smoke_over_passing_smoke_ratio"] = round(m["smoke_differing"] / m["smoke_passing"], 3)
        backend.close()
    finally:
        for project in (failing, passing, differing):
            quiet([*reprocheck, "clean", str(project)], ROOT, env)
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
