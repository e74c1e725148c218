"""Linear time on hostile input (issue 12): `python bench/bench_linear.py [--full] [--only NAME] [--check]`.

Each case builds a project whose size grows with n, lints it in this process (``lint_paths``, the whole
engine: discovery, reading, parsing, rules) at n, 2n and 4n, and prints the CPU time (user + system of
this process, steadier than wall time on a shared machine), the seconds per MB, and the ratio of each
time to the one before: about 2 means linear, 4 quadratic. ``--full`` runs the sizes of the issue
(a 50 MB Dockerfile of 650,000 RUN lines, 16,000 pipes, 100,000 requirement lines...), which the goal of
under 1 s per MB must meet; the default sizes take a few seconds each. ``--check`` exits 1 when a ratio
is above 3 or a case takes more than 1 s per MB (at least 0.5 s measured, so that noise does not decide).
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reprocheck.lint.run import LintOptions, lint_paths  # noqa: E402

Files = dict[str, str]
HEX = "0123456789abcdef" * 4


def dockerfile_runs(n: int) -> Files:
    """RUN lines of 77 bytes: n = 650,000 is the 50 MB Dockerfile of the issue."""
    return {
        "Dockerfile": "FROM python:3.11\n"
        + "RUN echo hello world, this is one more line of a big Dockerfile && true # 12\n" * n
    }


def dockerfile_installs(n: int) -> Files:
    line = "RUN pip install --no-cache-dir numpy==1.26.4 && apt-get install -y curl=7.88.1-10\n"
    return {"Dockerfile": "FROM python:3.11\n" + line * n}


def pipes(n: int) -> Files:
    return {"Dockerfile": "FROM python:3.11\nRUN curl -fsSL https://x/i.sh | " + " | ".join(["cat"] * n) + " | sh\n"}


def env_and_run(n: int) -> Files:
    body = "".join(f"ENV V{i}=value{i}\nRUN echo $V{i} ${{V{i}:-x}}\n" for i in range(n))
    return {"Dockerfile": "FROM python:3.11\n" + body}


def stages(n: int) -> Files:
    body = "FROM python:3.11 AS s0\nENV A=1\n" + "".join(f"FROM s{i} AS s{i + 1}\nRUN echo $A\n" for i in range(n))
    return {"Dockerfile": body}


def nested_defaults(n: int) -> Files:
    return {"Dockerfile": "FROM python:3.11\nRUN echo " + "${A:-" * n + "x" + "}" * n + "\n"}


def continuation(n: int) -> Files:
    return {"Dockerfile": "FROM python:3.11\nRUN echo start \\\n" + "    && echo next line \\\n" * n + "    && true\n"}


def heredoc(n: int) -> Files:
    return {"Dockerfile": "FROM python:3.11\nRUN <<EOF\n" + "echo line of a here-document\n" * n + "EOF\n"}


def long_copy(n: int) -> Files:
    return {"Dockerfile": "FROM python:3.11\nCOPY " + " ".join(f"src{i}.py" for i in range(n)) + " /app/\n"}


def git_clones(n: int) -> Files:
    return {"Dockerfile": "FROM python:3.11\n" + "RUN git clone https://github.com/o/r.git /src\n" * n}


def pragmas(n: int) -> Files:
    return {"Dockerfile": "FROM python:3.11\n" + "# reprocheck: ignore=RC301\nRUN pip install six\n" * n}


def requirement_spaces(n: int) -> Files:
    return {"requirements.txt": "foo" + " " * n + "bar\nsix" + " " * n + "==1.16.0\n"}


def config_settings(n: int) -> Files:
    return {"requirements.txt": "".join(f"pkg{i}==1.0 --config-settings=key=value\n" for i in range(n))}


def hashed_requirements(n: int) -> Files:
    return {
        "requirements.txt": "".join(f"pkg{i}==1.0 \\\n    --hash=sha256:{HEX}\n" for i in range(n)),
    }


def uv_lock(n: int) -> Files:
    pkgs = "".join(
        f'[[package]]\nname = "pkg{i}"\nversion = "1.0"\nsource = {{ registry = "https://x/simple" }}\n'
        f'dependencies = [{{ name = "pkg{i + 1}" }}]\n'
        f'wheels = [{{ url = "https://x/pkg{i}-1.0-py3-none-any.whl", hash = "sha256:{HEX}" }}]\n\n'
        for i in range(n)
    )
    return {"uv.lock": 'version = 1\nrequires-python = ">=3.11"\n\n' + pkgs}


def pyproject(n: int) -> Files:
    deps = "".join(f'    "pkg{i}>=1.0",\n' for i in range(n))
    poetry = "".join(f'pkg{i} = "^1.{i}"\n' for i in range(n))
    project = f'[project]\nname = "x"\ndependencies = [\n{deps}]\n'
    return {"pyproject.toml": f"{project}\n[tool.poetry.dependencies]\n{poetry}"}


def pipfile_lock(n: int) -> Files:
    entries = ",\n".join(f'    "pkg{i}": {{"hashes": ["sha256:{HEX}"], "version": "==1.{i}"}}' for i in range(n))
    return {"Pipfile.lock": '{\n  "_meta": {"hash": {"sha256": "x"}},\n  "default": {\n' + entries + "\n  }\n}\n"}


def conda_env(n: int) -> Files:
    deps = "".join(f"  - pkg{i}=1.{i}=h123_0\n" for i in range(n))
    return {"environment.yml": "name: x\nchannels:\n  - conda-forge\ndependencies:\n" + deps}


# name -> (make files, n at the default scale, n at the scale)
CASES: dict[str, tuple[Callable[[int], Files], int, int]] = {
    "dockerfile-650k-runs": (dockerfile_runs, 10_000, 162_500),  # x4 = 650,000 lines, 50 MB
    "dockerfile-installs": (dockerfile_installs, 2_500, 40_000),
    "run-16k-pipes": (pipes, 2_000, 4_000),  # x4 = 16,000
    "env-and-run": (env_and_run, 2_000, 25_000),
    "stages": (stages, 1_000, 10_000),
    "nested-defaults": (nested_defaults, 2_000, 20_000),
    "continuation-lines": (continuation, 10_000, 100_000),
    "heredoc": (heredoc, 20_000, 200_000),
    "copy-many-sources": (long_copy, 5_000, 50_000),
    "git-clones": (git_clones, 2_000, 20_000),
    "pragma-comments": (pragmas, 2_000, 20_000),
    "requirement-20k-spaces": (requirement_spaces, 5_000, 5_000),  # x4 = 20,000
    "requirements-config-settings": (config_settings, 5_000, 25_000),  # x4 = 100,000
    "requirements-hashed": (hashed_requirements, 5_000, 25_000),
    "uv-lock": (uv_lock, 2_000, 20_000),
    "pyproject": (pyproject, 2_000, 20_000),
    "pipfile-lock": (pipfile_lock, 2_000, 20_000),
    "conda-env": (conda_env, 2_000, 20_000),
}


def measure(files: Files) -> tuple[float, float]:
    """(CPU seconds of linting the project, its size in MB)."""
    tmp = Path(tempfile.mkdtemp(prefix="reprocheck-bench-"))
    try:
        size = 0
        for name, text in files.items():
            data = text.encode()
            (tmp / name).write_bytes(data)
            size += len(data)
        gc.collect()
        t0 = time.process_time()
        lint_paths([str(tmp)], LintOptions(isolated=True, extra={"max-file-size": 1 << 30}))
        return time.process_time() - t0, size / 1e6
    finally:
        shutil.rmtree(tmp)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the sizes of the issue (minutes)")
    parser.add_argument("--only", action="append", default=[], help="run only the cases with this in their name")
    parser.add_argument("--check", action="store_true", help="exit 1 when a case is not linear")
    args = parser.parse_args()
    failed: list[str] = []
    print(f"{'case':30} {'n':>8} {'MB':>7} {'cpu s':>7} {'s/MB':>6} {'ratio':>6}")
    for name, (make, small, full) in CASES.items():
        if args.only and not any(o in name for o in args.only):
            continue
        base = full if args.full else small
        previous: float | None = None
        for n in (base, 2 * base, 4 * base):
            seconds, mb = measure(make(n))
            ratio = seconds / previous if previous and previous > 0.01 else None
            shown = f"{ratio:6.2f}" if ratio is not None else "     -"
            print(f"{name:30} {n:8d} {mb:7.2f} {seconds:7.2f} {seconds / mb:6.2f} {shown}", flush=True)
            if ratio is not None and ratio > 3 and seconds > 0.5:
                failed.append(f"{name}: x{ratio:.1f} when the input doubled")
            if seconds > 0.5 and seconds / mb > 1.0:
                failed.append(f"{name}: {seconds / mb:.2f} s per MB")
            previous = seconds
    for f in failed:
        print("NOT LINEAR:", f)
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
