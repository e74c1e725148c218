"""Rebuild comparison benchmark (issue 6): `python bench/bench_rebuild.py [--size-mb 1024]`.

Two images of ~1 GB that differ in one small file are built on the local engine; then, in a fresh process
each: (a) only the export of one image is read (the floor: what the engine costs), (b) the whole comparison
(`index(export(a))` then `diff_trees` streaming export(b)). Reported: wall time, peak RSS of the process and
the peak of Python's heap (tracemalloc) during the comparison. Goal: peak under 200 MB, time dominated by the
export.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE = "reprocheck-fixture/python:3.11-bookworm"

# the same bytes and mtimes in both builds: the only file that differs is /build-info
WRITE = (
    "import os, random; os.mkdir('/data'); "
    "[open(f'/data/{{i:03d}}.bin', 'wb').write(random.Random(i).randbytes({chunk})) for i in range({files})]; "
    "[os.utime(f'/data/{{i:03d}}.bin', (0, 0)) for i in range({files})]; os.utime('/data', (0, 0))"
)
DOCKERFILE = 'FROM {base}\nRUN python3 -c "' + WRITE + '"\nRUN date +%s%N > /build-info\n'

MEASURE = r"""
import json, resource, sys, time, tracemalloc
from reprocheck.rebuild.diff import diff_trees, index
from reprocheck.runtime.engine import connect
mode, a, b = sys.argv[1:4]
backend = connect(timeout=600, background_removal=False).backend
base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
t0 = time.perf_counter()
if mode == "export":
    n = sum(1 for _ in backend.export_files(b))
    changes = None
else:
    tree = diff_trees(index(backend.export_files(a)), backend.export_files(b))
    n, changes = tree.files_b, [c.path for c in tree.changes]
seconds = time.perf_counter() - t0
_, heap = tracemalloc.get_traced_memory()
print(json.dumps({"seconds": round(seconds, 2), "files": n, "changes": changes,
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                  "rss_before_mb": round(base_rss / 1024, 1), "peak_heap_mb": round(heap / 1024**2, 1)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--files", type=int, default=64)
    args = parser.parse_args()
    from reprocheck.backend.base import BuildRequest
    from reprocheck.runtime.engine import connect

    backend = connect(timeout=600, background_removal=False).backend
    chunk = args.size_mb * 1024 * 1024 // args.files
    tags = ["reprocheck/bench-rebuild:a", "reprocheck/bench-rebuild:b"]
    out: dict[str, object] = {"size_mb": args.size_mb, "files_written": args.files}
    try:
        with tempfile.TemporaryDirectory() as ctx:
            (Path(ctx) / "Dockerfile").write_text(DOCKERFILE.format(base=BASE, chunk=chunk, files=args.files))
            for tag in tags:
                t0 = time.perf_counter()
                result = backend.build(
                    BuildRequest(Path(ctx), Path(ctx) / "Dockerfile", tag, no_cache=True), lambda _: None
                )
                assert result.ok, result.error
                out[f"build_{tag[-1]}_s"] = round(time.perf_counter() - t0, 1)
        for mode in ("export", "compare"):
            proc = subprocess.run(
                [sys.executable, "-c", MEASURE, mode, *tags], capture_output=True, text=True, check=True, timeout=1800
            )
            out[mode] = json.loads(proc.stdout)
        export_s = out["export"]["seconds"]  # type: ignore[index]
        compare_s = out["compare"]["seconds"]  # type: ignore[index]
        out["compare_vs_two_exports"] = round(compare_s / (2 * export_s), 2)
    finally:
        for tag in tags:
            backend.remove_image(tag)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
