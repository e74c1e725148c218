"""Serve-mode benchmark (issue 26 point 8): `python bench/bench_serve.py` on a machine with a Docker engine and
the base image. A small HTTP model server asked one request body, then three cases (three bodies, three goldens):
the server is started once for all the cases, so three cases should cost about what one costs.

Goal: three cases within 1.3x of one case (a server start per case made it about 2.6x). Prints JSON: medians
and the fastest of --runs runs, one and three cases interleaved. Everything made is the staged project's and
goes with `reprocheck clean` of it at the end; journals and caches go to a temporary XDG_CACHE_HOME.
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

from tests.support.engine import BASE_IMAGE  # noqa: E402

SERVER = """import http.server, json
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        rows = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body = json.dumps({"scores": [sum(r) / len(r) for r in rows]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("0.0.0.0", 8080), H).serve_forever()
"""
ROWS: dict[str, list[list[float]]] = {
    "small": [[1, 2], [3, 4]],
    "wide": [[1, 2, 3, 4, 5, 6, 7, 8]],
    "negative": [[-1.5, -2.25], [0, -7]],
}


def project(root: Path, cases: int) -> Path:
    """The server project with ``cases`` request bodies (1: the spec's own body; 3: three cases)."""
    where = root / f"serve-{cases}"
    (where / "data").mkdir(parents=True)
    (where / "golden").mkdir()
    (where / "server.py").write_text(SERVER)
    (where / "Dockerfile").write_text(f"FROM {BASE_IMAGE}\nWORKDIR /app\nCOPY server.py ./\nUSER 65534\n")
    for name, rows in ROWS.items():
        (where / "data" / f"{name}.json").write_text(json.dumps(rows))
        scores = [sum(r) / len(r) for r in rows]
        (where / "golden" / f"{name}.json").write_text(json.dumps({"scores": scores}))
    head = (
        '[tool.reprocheck]\nignore = ["RC102"]\n[tool.reprocheck.smoke]\ncommand = ["python3", "server.py"]\n'
        'golden = "golden/small.json"\ncompare = "json"\n'
        '[tool.reprocheck.smoke.serve]\nport = 8080\npath = "/predict"\nready-timeout = 30\n'
    )
    if cases == 1:
        spec = head + 'body = "data/small.json"\n'
    else:
        spec = head + "".join(
            f'[[tool.reprocheck.smoke.cases]]\nname = "{n}"\nbody = "data/{n}.json"\ngolden = "golden/{n}.json"\n'
            for n in list(ROWS)[:cases]
        )
    (where / "pyproject.toml").write_text(spec)
    return where


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    reprocheck = [sys.executable, "-m", "reprocheck"]
    with tempfile.TemporaryDirectory(prefix="reprocheck-bench-serve-") as tmp:
        root = Path(tmp)
        env = {**os.environ, "XDG_CACHE_HOME": str(root / "cache")}
        projects = {n: project(root, n) for n in (1, 3)}
        times: dict[int, list[float]] = {1: [], 3: []}
        try:
            for where in projects.values():  # the first run builds: not timed
                subprocess.run(
                    [*reprocheck, "smoke", "--progress", "quiet"], cwd=where, env=env, check=True, capture_output=True
                )
            for _ in range(max(3, args.runs)):
                for n, where in projects.items():  # interleaved: a passing load hits both alike
                    started = time.perf_counter()
                    subprocess.run(
                        [*reprocheck, "smoke", "--progress", "quiet"],
                        cwd=where,
                        env=env,
                        check=True,
                        stdout=subprocess.DEVNULL,
                    )
                    times[n].append(time.perf_counter() - started)
        finally:
            for where in projects.values():
                subprocess.run([*reprocheck, "clean", str(where)], env=env, check=False, capture_output=True)
    one, three = statistics.median(times[1]), statistics.median(times[3])
    print(
        json.dumps(
            {
                "one_case_median_s": round(one, 3),
                "three_cases_median_s": round(three, 3),
                "one_case_fastest_s": round(min(times[1]), 3),
                "three_cases_fastest_s": round(min(times[3]), 3),
                "ratio_three_to_one": round(three / one, 2),
                "goal": "<= 1.3",
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
