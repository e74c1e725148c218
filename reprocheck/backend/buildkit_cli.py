"""BuildKit builds through the docker CLI (the SDK only drives the classic builder). Whether a Dockerfile
needs BuildKit is the caller's decision (``BuildRequest.buildkit``), made in ``reprocheck.runtime.buildkit``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections import deque
from pathlib import Path

from reprocheck.backend.base import LABEL, BuildRequest, BuildResult, Progress
from reprocheck.errors import EngineUnavailable
from reprocheck.progress import OutputLine

_STEP = re.compile(r"^#\d+ \[(?:[\w.-]+ )?\d+/\d+\] .*")
_FAILED = re.compile(r"^\s*> \[(.+?)\](.*?):?\s*$")


def docker_cli() -> str:
    """The docker client that drives BuildKit: $REPROCHECK_DOCKER_CLI, Debian's /usr/bin/docker, or PATH's."""
    for candidate in (os.environ.get("REPROCHECK_DOCKER_CLI"), "/usr/bin/docker", shutil.which("docker")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise EngineUnavailable(
        "this Dockerfile needs BuildKit, and no docker CLI was found to drive it (set REPROCHECK_DOCKER_CLI)"
    )


def build_with_cli(request: BuildRequest, progress: Progress) -> BuildResult:
    started = time.monotonic()
    log: deque[str] = deque(maxlen=2000)
    with tempfile.TemporaryDirectory(prefix="reprocheck-build-") as tmp:
        iidfile = Path(tmp) / "iid"
        cmd = [
            docker_cli(),
            "build",
            "--progress=plain",
            "-f",
            str(request.dockerfile),
            "-t",
            request.tag,
            "--iidfile",
            str(iidfile),
            "--label",
            f"{LABEL}=1",
        ]
        for k, v in request.labels.items():
            cmd += ["--label", f"{k}={v}"]
        for k, v in request.build_args.items():
            cmd += ["--build-arg", f"{k}={v}"]
        if request.target:
            cmd += ["--target", request.target]
        if request.no_cache:
            cmd.append("--no-cache")
        if request.network:
            cmd += ["--network", request.network]
        cmd.append(str(request.context))
        env = {**os.environ, "DOCKER_BUILDKIT": "1"}
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        assert proc.stdout is not None
        try:
            for raw in proc.stdout:
                line = raw.rstrip("\n")
                log.append(line)
                progress(line if _STEP.match(line) else OutputLine(line))
            code = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            proc.stdout.close()
        seconds = time.monotonic() - started
        image_id = iidfile.read_text().strip() if iidfile.is_file() else None
    if code != 0 or not image_id:
        failed = next((m.group(1) + m.group(2) for line in log if (m := _FAILED.match(line))), None)
        error = next(
            (line for line in reversed(log) if line.startswith(("error:", "ERROR:"))),
            f"docker build exited with {code}",
        )
        return BuildResult(False, None, request.tag, "buildkit", seconds, failed, error, tuple(log))
    return BuildResult(True, image_id, request.tag, "buildkit", seconds, log_tail=tuple(log))
